// Conformance checks with ethers v6 and viem against one JSON-RPC node.
// Usage: node conformance.mjs CONFIG.json
//   (CONFIG: url, wsUrl, chainId, privateKey, abi, bytecode; todaysEvm: {abi, bytecode} of
//   TodaysEvm.sol compiled with solc's default settings: PUSH0, transient storage, MCOPY)
// Prints one JSON object: {"ethers": {...checks}, "viem": {...checks}}; a check is true or an
// error string. Exits 0 even when checks fail: the pytest side asserts on the JSON.
import { readFileSync } from "node:fs";
import * as ethers from "ethers";
import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  http,
  webSocket,
  BaseError,
  ContractFunctionRevertedError,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const TIMEOUT_MS = 30000;

function withTimeout(promise, label) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${label}`)), TIMEOUT_MS)),
  ]);
}

async function check(results, name, fn) {
  try {
    const ok = await withTimeout(fn(), name);
    results[name] = ok === true ? true : `unexpected: ${JSON.stringify(ok, (k, v) => (typeof v === "bigint" ? v.toString() : v))}`;
  } catch (error) {
    results[name] = `error: ${error && error.message ? error.message.slice(0, 300) : String(error)}`;
  }
}

async function runEthers() {
  const results = {};
  const network = new ethers.Network("node", config.chainId);
  // cacheTimeout -1: ethers caches getTransactionCount for 250 ms by default.
  const provider = new ethers.JsonRpcProvider(config.url, network, { staticNetwork: network, cacheTimeout: -1, pollingInterval: 200 });
  const wallet = new ethers.Wallet(config.privateKey, provider);
  let contract;
  let deployBlock;
  await check(results, "deploy", async () => {
    const factory = new ethers.ContractFactory(config.abi, config.bytecode, wallet);
    contract = await factory.deploy(5n);
    const receipt = await contract.deploymentTransaction().wait();
    deployBlock = receipt.blockNumber;
    return receipt.status === 1 && (await provider.getCode(await contract.getAddress())).length > 2;
  });
  await check(results, "call", async () => (await contract.stored()) === 5n);
  await check(results, "send_and_logs", async () => {
    const tx = await contract.store(11n, "0x1234");
    const receipt = await tx.wait();
    const parsed = receipt.logs.map((log) => contract.interface.parseLog(log)).filter(Boolean);
    return receipt.status === 1 && parsed.length === 1 && parsed[0].name === "Stored" && parsed[0].args.value === 11n && (await contract.stored()) === 11n;
  });
  await check(results, "revert_reason", async () => {
    try {
      await contract.failWithReason.staticCall("boom");
      return "no revert";
    } catch (error) {
      return error.code === "CALL_EXCEPTION" && error.reason === "boom" ? true : `${error.code} ${error.reason}`;
    }
  });
  await check(results, "custom_error", async () => {
    try {
      await contract.failWithError.staticCall(9n);
      return "no revert";
    } catch (error) {
      return error.revert && error.revert.name === "Refused" && error.revert.args[1] === 9n ? true : `${error.shortMessage}`;
    }
  });
  await check(results, "get_logs_filter", async () => {
    const events = await contract.queryFilter(contract.filters.Stored(null, 11n), deployBlock);
    const none = await contract.queryFilter(contract.filters.Stored(null, 12n), deployBlock);
    return events.length === 1 && events[0].args.note === "0x1234" && none.length === 0;
  });
  await check(results, "subscribe_logs", async () => {
    const wsProvider = new ethers.WebSocketProvider(config.wsUrl, network, { staticNetwork: network });
    try {
      const wsContract = new ethers.Contract(await contract.getAddress(), config.abi, wsProvider);
      const seen = new Promise((resolve) => wsContract.on("Pinged", (counter) => resolve(counter)));
      await new Promise((r) => setTimeout(r, 500)); // let eth_subscribe land
      await (await contract.ping()).wait();
      return (await seen) === 1n;
    } finally {
      await wsProvider.destroy();
    }
  });
  await check(results, "todays_evm", async () => {
    const { abi, bytecode } = config.todaysEvm;
    const modern = await new ethers.ContractFactory(abi, bytecode, wallet).deploy();
    await modern.deploymentTransaction().wait();
    const payload = ethers.hexlify(ethers.randomBytes(300));
    const roundTrip = await modern.roundTrip.staticCall(7n);
    const copied = await modern.copy(payload);
    const receipt = await (await modern.guarded()).wait();
    return roundTrip === 7n && copied === payload && receipt.status === 1 && (await modern.entered()) === 1n && (await modern.readTransient()) === 0n;
  });
  provider.destroy();
  return results;
}

async function runViem() {
  const results = {};
  const chain = defineChain({
    id: config.chainId,
    name: "node-under-test",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.url], webSocket: [config.wsUrl] } },
  });
  const account = privateKeyToAccount(config.privateKey);
  const publicClient = createPublicClient({ chain, transport: http(config.url), pollingInterval: 200 });
  const walletClient = createWalletClient({ chain, account, transport: http(config.url) });
  let address;
  let deployBlock;
  const abi = config.abi;
  await check(results, "deploy", async () => {
    const hash = await walletClient.deployContract({ abi, bytecode: config.bytecode, args: [5n] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    address = receipt.contractAddress;
    deployBlock = receipt.blockNumber;
    return receipt.status === "success" && Boolean(address);
  });
  await check(results, "call", async () => (await publicClient.readContract({ address, abi, functionName: "stored" })) === 5n);
  await check(results, "send_and_logs", async () => {
    const hash = await walletClient.writeContract({ address, abi, functionName: "store", args: [11n, "0x1234"] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    const decoded = receipt.logs.map((log) => decodeEventLog({ abi, data: log.data, topics: log.topics }));
    return receipt.status === "success" && decoded.length === 1 && decoded[0].eventName === "Stored" && decoded[0].args.value === 11n;
  });
  await check(results, "revert_reason", async () => {
    try {
      await publicClient.simulateContract({ address, abi, functionName: "failWithReason", args: ["boom"], account });
      return "no revert";
    } catch (error) {
      const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
      return revert && revert.reason === "boom" ? true : `${error.shortMessage}`;
    }
  });
  await check(results, "custom_error", async () => {
    try {
      await publicClient.simulateContract({ address, abi, functionName: "failWithError", args: [9n], account });
      return "no revert";
    } catch (error) {
      const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
      return revert && revert.data && revert.data.errorName === "Refused" && revert.data.args[1] === 9n ? true : `${error.shortMessage}`;
    }
  });
  await check(results, "get_logs_filter", async () => {
    const events = await publicClient.getContractEvents({ address, abi, eventName: "Stored", args: { value: 11n }, fromBlock: deployBlock });
    const none = await publicClient.getContractEvents({ address, abi, eventName: "Stored", args: { value: 12n }, fromBlock: deployBlock });
    return events.length === 1 && events[0].args.note === "0x1234" && none.length === 0;
  });
  await check(results, "subscribe_logs", async () => {
    const wsClient = createPublicClient({ chain, transport: webSocket(config.wsUrl) });
    let unwatch;
    try {
      const seen = new Promise((resolve, reject) => {
        unwatch = wsClient.watchContractEvent({ address, abi, eventName: "Pinged", onLogs: (logs) => resolve(logs[0].args.counter), onError: reject });
      });
      await new Promise((r) => setTimeout(r, 500));
      const hash = await walletClient.writeContract({ address, abi, functionName: "ping" });
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 200 });
      return (await seen) === 1n;
    } finally {
      if (unwatch) unwatch();
      const transport = await wsClient.transport.getRpcClient?.();
      if (transport) transport.close();
    }
  });
  await check(results, "todays_evm", async () => {
    const { abi: modernAbi, bytecode } = config.todaysEvm;
    const hash = await walletClient.deployContract({ abi: modernAbi, bytecode });
    const deployed = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    const modern = { address: deployed.contractAddress, abi: modernAbi };
    const payload = `0x${"c0ffee".repeat(100)}`;
    const { result: roundTrip } = await publicClient.simulateContract({ ...modern, functionName: "roundTrip", args: [7n], account });
    const copied = await publicClient.readContract({ ...modern, functionName: "copy", args: [payload] });
    const sent = await walletClient.writeContract({ ...modern, functionName: "guarded" });
    const receipt = await publicClient.waitForTransactionReceipt({ hash: sent, pollingInterval: 200 });
    const entered = await publicClient.readContract({ ...modern, functionName: "entered" });
    return deployed.status === "success" && roundTrip === 7n && copied === payload && receipt.status === "success" && entered === 1n;
  });
  return results;
}

const output = { ethers: await runEthers(), viem: await runViem() };
process.stdout.write(JSON.stringify(output) + "\n");
process.exit(0);
