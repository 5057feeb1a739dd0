"""One contract test suite, two independent EVMs: py-evm (eth-tester) and anvil.

The `chain` fixture is parametrized over both backends; every test that takes it runs on
each. Both run the Cancun rules the contracts are compiled for. The anvil binary comes from
`npm ci --prefix contracts`; tests on anvil are skipped only if it is absent. What the
tests use of a chain and a deployment is in kit.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from testing.anvil import ANVIL_BINARY, Anvil
from tests.contracts.kit import ACCOUNT_COUNT, Chain, Deployment, deploy_system


def _pyevm_chain() -> Web3:
    from eth.vm.forks import CancunVM
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import EthereumTesterProvider

    backend = PyEVMBackend(
        genesis_parameters=PyEVMBackend.generate_genesis_params(
            overrides={"gas_limit": 30_000_000}
        ),
        genesis_state=PyEVMBackend.generate_genesis_state(num_accounts=ACCOUNT_COUNT),
        vm_configuration=((0, CancunVM),),
    )
    return Web3(EthereumTesterProvider(EthereumTester(backend)))


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """Start anvil (Cancun, 20 funded unlocked accounts) on a free port; stop it after."""
    if not ANVIL_BINARY.exists():
        pytest.skip(f"anvil not installed at {ANVIL_BINARY}: run `npm ci --prefix contracts`")
    anvil = Anvil.started(accounts=ACCOUNT_COUNT)
    try:
        yield anvil.url
    finally:
        anvil.stop()


@pytest.fixture(scope="session", params=["py-evm", "anvil"])
def chain(request: pytest.FixtureRequest) -> Chain:
    """A chain on each backend; tests deploy fresh contracts, so sharing it is safe."""
    if request.param == "py-evm":
        w3 = _pyevm_chain()
    else:
        w3 = Web3(Web3.HTTPProvider(request.getfixturevalue("anvil_url")))
    accounts = [Web3.to_checksum_address(account) for account in w3.eth.accounts]
    assert len(accounts) >= ACCOUNT_COUNT
    return Chain(request.param, w3, accounts)


@pytest.fixture
def system(chain: Chain) -> Deployment:
    """Freshly deployed contracts with threshold 1."""
    return deploy_system(chain)
