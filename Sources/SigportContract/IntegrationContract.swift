/// The integration API's documented rules (`integration.saveSignals` page, API 1.1beta1, and the
/// facts gathered in `shared/seeds/README.md`). Values only: no encoders, decoders or builders.
public enum IntegrationContract {
    /// `^[a-v0-9]{20}$` — integration ids, and the ids the API gives signals and items.
    public static let integrationID = CharacterClassPattern(
        rule: "integration-id", pattern: "^[a-v0-9]{20}$",
        allowed: "abcdefghijklmnopqrstuv" + CharacterClassPattern.digits, lengths: 20...20)

    /// `^[a-zA-Z0-9-_:.#+/]{1,128}$`. The `-` after `0-9` is a literal hyphen, not a range `9-_`.
    public static let inputID = CharacterClassPattern(
        rule: "input-id", pattern: "^[a-zA-Z0-9-_:.#+/]{1,128}$",
        allowed: CharacterClassPattern.lowercase + CharacterClassPattern.uppercase
            + CharacterClassPattern.digits + "-_:.#+/",
        lengths: 1...128)

    /// `^[A-Za-z0-9-_/]{1,128}$` — label keys and annotation keys.
    public static let labelKey = CharacterClassPattern(
        rule: "label-key", pattern: "^[A-Za-z0-9-_/]{1,128}$",
        allowed: CharacterClassPattern.lowercase + CharacterClassPattern.uppercase
            + CharacterClassPattern.digits + "-_/",
        lengths: 1...128)

    /// The same class as label keys, named apart so reject files say which rule failed.
    public static let annotationKey = CharacterClassPattern(
        rule: "annotation-key", pattern: labelKey.pattern,
        allowed: CharacterClassPattern.lowercase + CharacterClassPattern.uppercase
            + CharacterClassPattern.digits + "-_/",
        lengths: 1...128)

    // Request size and rate limits differ per API version: `IntegrationLimits`.

    /// Enum signal keys: "integer in range 0-9999".
    public static let enumKeys: ClosedRange<Int> = 0...9999

    public static let valueTypes: Set<String> = ["numeric", "enum"]
    public static let sourceTypes: Set<String> = ["measurement", "aggregation", "prediction"]

    /// Page limits of the read methods.
    public static let maxSelectLimit = 1000
    public static let maxDataFrameItems = 50
    /// Time window per `clarify.dataFrame` call: raw data or rollups under PT1M, and longer rollups.
    public static let rawWindowSeconds: Int64 = 40 * 86_400
    public static let rollupWindowSeconds: Int64 = 400 * 86_400

    public static let rpcPath = "rpc"
    public static let oauthTokenPath = "oauth/token"
    public static let versionHeader = "X-API-Version"
}

/// API versions and how their `saveSignals` dialects differ.
public enum IntegrationAPIVersion: String, Sendable, CaseIterable {
    case v1_0 = "1.0"
    case v1_1beta1 = "1.1beta1"
    case v1_1beta2 = "1.1beta2"
    case v1_1 = "1.1"

    /// What a request without `X-API-Version` gets: the latest stable version.
    public static let latestStable: IntegrationAPIVersion = .v1_1

    /// `inputs` up to 1.1beta1, `signalsByInput` from 1.1beta2.
    public var saveSignalsParameter: String {
        switch self {
        case .v1_0, .v1_1beta1: "inputs"
        case .v1_1beta2, .v1_1: "signalsByInput"
        }
    }

    /// `type` up to 1.1beta1, `valueType` from 1.1beta2.
    public var valueTypeField: String {
        switch self {
        case .v1_0, .v1_1beta1: "type"
        case .v1_1beta2, .v1_1: "valueType"
        }
    }
}

/// JSON-RPC error codes the integration API documents.
public enum RPCErrorCode: Int, Sendable {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case serverError = -32000
    case producedInvalidResource = -32001
    case foundInvalidResource = -32002
    case forbidden = -32003
    case conflict = -32009
    case tryAgain = -32015
    case partialFailure = -32021

    /// Codes a client may retry unchanged.
    public var isRetryable: Bool { self == .tryAgain || self == .internalError || self == .serverError }
}
