// The page's two languages. Chinese is the default; English when the user's browser prefers
// it (navigator.languages follows Accept-Language) or when the user switched, which is kept.

export const LANGUAGES = ["zh", "en"];
const STORAGE_KEY = "traceledger.scan.lang";

const STRINGS = {
  zh: {
    htmlLang: "zh-CN",
    locale: "zh-CN",
    switchTo: "English",
    switchToLang: "en",
    title: "溯源验证 · TraceLedger",
    appTitle: "溯源验证",
    scanHeading: "扫描标签上的二维码",
    cameraStart: "用相机扫描",
    cameraStop: "停止扫描",
    cameraHint: "将二维码对准取景框",
    uploadImage: "上传标签照片",
    codeLabel: "或输入标签上的链接或商品条码 (GTIN)",
    codeSubmit: "查询",
    footer: "记录由企业签名，哈希锚定在许可链上，由您的浏览器亲自验证。",
    loading: "正在查询…",
    cameraStarting: "正在打开相机…",
    cameraScanning: "正在扫描…",
    decodedCode: "已识别二维码",
    imageNoCode: "这张照片里没有找到二维码，请靠近一些再拍。",
    cameraUnavailable: "无法使用相机。请上传标签照片或输入代码。",
    decoderMissing: "二维码解码器未能加载。请输入代码。",
    errorInvalid: "这不是有效的溯源码，请检查后重试。",
    errorUnknown: "没有找到这个代码的记录。",
    errorNetwork: "网络连接出现问题，请稍后重试。",
    errorServer: "服务暂时不可用，请稍后重试。",
    kindFood: "食品",
    kindEquipment: "特种设备",
    product: "产品",
    producer: "生产企业",
    origin: "产地",
    gtin: "商品条码 (GTIN)",
    lot: "批号",
    serial: "序列号",
    productionDate: "生产日期",
    expiryDate: "保质期至",
    bestBefore: "最佳食用期至",
    recallTitle: "召回警告",
    recallText: "此产品已被召回，请勿食用或使用。",
    recallReason: "原因",
    recallClass: "召回级别",
    recallOpened: "发布时间",
    authInvalid: "此标签的防伪码不正确，可能是假冒产品。",
    cloneAlarm: "此代码已在 {places} 个不同地点被扫描 {count} 次，可能被复制。",
    timeline: "溯源记录",
    noTimeline: "暂无溯源记录。",
    at: "地点",
    by: "企业",
    verifying: "正在验证…",
    verified: "已在账本上验证：区块 {block}，时间 {time}，见证方 {witnesses}",
    noWitness: "暂无",
    pending: "已记录并签名，等待锚定上链",
    failed: "验证失败：{step}",
    summaryVerifying: "正在您的设备上验证 {count} 条记录…",
    summaryVerified: "全部 {count} 条记录已在账本上验证",
    summaryPending: "{verified} 条已验证，{pending} 条等待上链",
    summaryFailed: "验证失败：{failed} 条记录未通过检查",
    showChecks: "查看验证步骤",
    coldChain: "冷链温度",
    chartLabel: "温度曲线，允许范围 {min} 至 {max} {unit}；最低 {low}，最高 {high}",
    allowedRange: "允许范围",
    outOfRange: "{count} 个读数超出允许范围",
    inRange: "所有读数都在允许范围内",
    certifications: "认证",
    equipment: "设备信息",
    registrationCode: "注册代码",
    maker: "制造单位",
    installer: "安装单位",
    lastInspection: "最近检验",
    inspectionResult: "检验结论",
    inspector: "检验机构",
    pass: "合格",
    fail: "不合格",
    nextDue: "下次检验日期",
    overdue: "已逾期",
    lastMaintenance: "最近维保",
    maintainer: "维保单位",
    maintenanceOverdue: "维保已逾期",
    emergencyCode: "应急救援代码",
    scanAnother: "扫描其他标签",
    steps: {
      format: "证明格式",
      entry: "日志条目与事件一致",
      leafHash: "叶子哈希",
      inclusion: "默克尔包含证明",
      checkpointSignature: "检查点签名 (Ed25519)",
      checkpointHead: "检查点与树头一致",
      witnessCosignatures: "见证方联署",
      chainId: "链标识",
      anchoredRoot: "链上锚定的根哈希",
      anchorBlock: "锚定区块",
      network: "网络",
    },
    bizSteps: {
      commissioning: "赋码", growing: "种植", harvesting: "收获", slaughtering: "屠宰",
      packing: "包装", shipping: "发货", receiving: "收货", storing: "仓储",
      transforming: "加工", retail_selling: "零售", installing: "安装", inspecting: "检验",
      repairing: "维修", accepting: "验收", loading: "装载", departing: "出发", arriving: "到达",
      cycle_counting: "盘点", sensor_reporting: "传感器记录", destroying: "销毁",
    },
  },
  en: {
    htmlLang: "en",
    locale: "en-GB",
    switchTo: "中文",
    switchToLang: "zh",
    title: "Trace check · TraceLedger",
    appTitle: "Trace check",
    scanHeading: "Scan the QR code on the label",
    cameraStart: "Scan with camera",
    cameraStop: "Stop scanning",
    cameraHint: "Point the camera at the QR code",
    uploadImage: "Upload a label photo",
    codeLabel: "Or type the label's link or the product's GTIN",
    codeSubmit: "Look up",
    footer: "Records are signed by the enterprises, anchored on a permissioned ledger and checked by your own browser.",
    loading: "Looking up…",
    cameraStarting: "Opening the camera…",
    cameraScanning: "Scanning…",
    decodedCode: "QR code read",
    imageNoCode: "No QR code found in this photo. Try again closer.",
    cameraUnavailable: "The camera is not available. Upload a label photo or type the code.",
    decoderMissing: "The QR decoder could not be loaded. Please type the code.",
    errorInvalid: "This is not a valid trace code. Please check it and try again.",
    errorUnknown: "We have no record of this code.",
    errorNetwork: "Network problem. Please try again in a moment.",
    errorServer: "The service is unavailable right now. Please try again later.",
    kindFood: "Food",
    kindEquipment: "Special equipment",
    product: "Product",
    producer: "Producer",
    origin: "Origin",
    gtin: "GTIN",
    lot: "Lot",
    serial: "Serial",
    productionDate: "Produced",
    expiryDate: "Use by",
    bestBefore: "Best before",
    recallTitle: "Recall warning",
    recallText: "This product has been recalled. Do not eat or use it.",
    recallReason: "Reason",
    recallClass: "Recall class",
    recallOpened: "Issued",
    authInvalid: "This label's authenticator is wrong: the product may be counterfeit.",
    cloneAlarm: "This code was scanned {count} times in {places} different places: it may have been copied.",
    timeline: "Provenance",
    noTimeline: "No trace records yet.",
    at: "At",
    by: "By",
    verifying: "Verifying…",
    verified: "Verified on ledger: block {block}, time {time}, witnessed by {witnesses}",
    noWitness: "none yet",
    pending: "Recorded and signed, waiting to be anchored",
    failed: "Verification failed: {step}",
    summaryVerifying: "Verifying {count} records on your device…",
    summaryVerified: "All {count} records verified on the ledger",
    summaryPending: "{verified} verified, {pending} waiting to be anchored",
    summaryFailed: "Verification failed: {failed} records did not pass",
    showChecks: "Show the checks",
    coldChain: "Cold chain temperature",
    chartLabel: "Temperature chart, allowed range {min} to {max} {unit}; lowest {low}, highest {high}",
    allowedRange: "Allowed range",
    outOfRange: "{count} readings out of the allowed range",
    inRange: "All readings within the allowed range",
    certifications: "Certifications",
    equipment: "Equipment",
    registrationCode: "Registration code",
    maker: "Maker",
    installer: "Installer",
    lastInspection: "Last inspection",
    inspectionResult: "Result",
    inspector: "Inspector",
    pass: "Pass",
    fail: "Fail",
    nextDue: "Next inspection due",
    overdue: "overdue",
    lastMaintenance: "Last maintenance",
    maintainer: "Maintained by",
    maintenanceOverdue: "maintenance overdue",
    emergencyCode: "Emergency code",
    scanAnother: "Scan another label",
    steps: {
      format: "proof format",
      entry: "log entry matches the event",
      leafHash: "leaf hash",
      inclusion: "Merkle inclusion proof",
      checkpointSignature: "checkpoint signature (Ed25519)",
      checkpointHead: "checkpoint matches the tree head",
      witnessCosignatures: "witness cosignatures",
      chainId: "chain id",
      anchoredRoot: "root anchored on chain",
      anchorBlock: "anchoring block",
      network: "network",
    },
    bizSteps: {
      commissioning: "Commissioned", growing: "Grown", harvesting: "Harvested", slaughtering: "Slaughtered",
      packing: "Packed", shipping: "Shipped", receiving: "Received", storing: "Stored",
      transforming: "Processed", retail_selling: "Sold", installing: "Installed", inspecting: "Inspected",
      repairing: "Repaired", accepting: "Accepted", loading: "Loaded", departing: "Departed", arriving: "Arrived",
      cycle_counting: "Counted", sensor_reporting: "Sensor reading", destroying: "Destroyed",
    },
  },
};

/** The language to show: the stored choice, else the first of the browser's zh/en, else zh. */
export function chooseLanguage(storage = globalThis.localStorage, languages = navigator.languages || [navigator.language]) {
  let stored = null;
  try {
    stored = storage && storage.getItem(STORAGE_KEY);
  } catch {
    stored = null; // private mode may forbid storage; then follow the browser
  }
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of languages) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(primary)) return primary;
  }
  return "zh";
}

export function rememberLanguage(lang, storage = globalThis.localStorage) {
  try {
    storage.setItem(STORAGE_KEY, lang);
  } catch {
    // not persisted; the switch still applies to this page
  }
}

/** A translator for `lang`: t("key", {name: value}) fills {name} placeholders. */
export function translator(lang) {
  const table = STRINGS[lang] || STRINGS.zh;
  const t = (key, values = {}) => {
    const text = key.split(".").reduce((node, part) => (node ? node[part] : undefined), table);
    if (typeof text !== "string") return key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
  };
  t.lang = lang;
  t.table = table;
  return t;
}
