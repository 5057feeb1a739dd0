"""Sign-in and roles: API keys (enterprises, admins) and OIDC bearer JWTs (regulators).

Routes use `CurrentPrincipal` (401 without valid credentials), `OptionalPrincipal`
(None for anonymous consumers) or `require_roles(Role.ADMIN, ...)` (403 on a wrong role).
"""

from trace_api.auth.dependencies import CurrentPrincipal, OptionalPrincipal, require_roles
from trace_api.auth.principal import Principal, Role

__all__ = ["CurrentPrincipal", "OptionalPrincipal", "Principal", "Role", "require_roles"]
