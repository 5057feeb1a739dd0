"""Enterprises: registration, suspension, reinstatement and key rotation on chain through
`MemberRegistry`, custodial signing keys, and the identity capture relies on
(`service.capture_identity`, `service.sign_records`)."""
