import SigportContract

/// How an emulator runs. Defaults are the documented values of both APIs.
public struct EmulatorConfiguration: Sendable {
    /// Loopback only by default: the emulator has test credentials.
    public var host: String
    /// PEM files of a certificate chain and its key: the emulator then speaks HTTPS only, so a
    /// client's certificate checks (and `--ca-file`) can be tried against it.
    public var tls: TLSFiles?
    /// 0 picks a free port; the chosen one is reported when the server runs.
    public var port: Int
    /// SQLite file for the state; nil keeps it in memory.
    public var databasePath: String?
    /// Bodies over this many bytes get HTTP 413. nil: the limit of the API version each request
    /// declares (`IntegrationLimits`; 9 MiB for ox).
    public var maxRequestBytes: Int?
    /// The interval of a lane documented at 1 request/second; a lane at N per second gets an Nth
    /// of it. Tests shrink it to run the documented pace faster; zero turns pacing off.
    public var requestInterval: Duration
    /// What an integration API request over its lane's rate gets: queued (the published 1.1
    /// behaviour, the default) or refused with 429. ox requests over the rate are always refused:
    /// ox documents no throttling.
    public var overRate: OverRatePolicy
    /// How long a throttled request may wait in its lane's queue before it times out (1.1: 10 s).
    public var queueLimit: Duration
    /// Arrival jitter forgiven when judging the interval, so a client paced at exactly the
    /// interval is not throttled for a scheduler hiccup. Two requests 990 ms apart still are.
    public var paceTolerance: Duration
    /// When a request arrived, for the pace.
    public var paceClock: PaceClock
    /// Lifetime of OAuth access tokens of the integration API.
    public var accessTokenLifetime: Duration
    /// Lifetime of ox client JWTs (3 days, as the sample token).
    public var oxTokenLifetime: Duration
    public var faults: FaultConfiguration
    /// `integration.insert` refuses frames holding this value (-32602, naming where): stands for
    /// a rule of the real service that no seed page documents and no client can check beforehand.
    public var refusedValue: Double?
    /// Serves `POST /_emulator/integration/remove` (`SampleRemoval`), which deletes samples as
    /// someone could behind sigport's back: for tests of `sigport verify`, off unless asked for.
    public var tamperingHooks = false

    public struct TLSFiles: Sendable {
        public var certificateChain: String
        public var privateKey: String
        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    /// `http` or, with TLS files, `https`.
    public var scheme: String { tls == nil ? "http" : "https" }

    /// The body limit for a request that declares `version` (nil: an ox request).
    func bodyLimit(_ version: IntegrationAPIVersion?) -> Int {
        maxRequestBytes ?? version.map { IntegrationLimits.of($0).maxRequestBytes } ?? OxContract.maxRequestBytes
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        databasePath: String? = nil,
        maxRequestBytes: Int? = nil,
        requestInterval: Duration = .seconds(1),
        overRate: OverRatePolicy = .throttle,
        queueLimit: Duration = .seconds(IntegrationLimits.maxQueueSeconds),
        paceTolerance: Duration = .milliseconds(5),
        paceClock: PaceClock = .continuous,
        accessTokenLifetime: Duration = .seconds(3600),
        oxTokenLifetime: Duration = .seconds(OxContract.tokenLifetimeSeconds),
        faults: FaultConfiguration = .none,
        refusedValue: Double? = nil
    ) {
        self.refusedValue = refusedValue
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.maxRequestBytes = maxRequestBytes
        self.requestInterval = requestInterval
        self.overRate = overRate
        self.queueLimit = queueLimit
        self.paceTolerance = paceTolerance
        self.paceClock = paceClock
        self.accessTokenLifetime = accessTokenLifetime
        self.oxTokenLifetime = oxTokenLifetime
        self.faults = faults
    }
}

/// Which faults the emulator injects, how often, and from which seed, so a failing test replays.
public struct FaultConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// HTTP 500 before the request is processed.
        case error500 = "500"
        /// HTTP 503 before the request is processed.
        case error503 = "503"
        /// HTTP 429 with `Retry-After: 1`, before the request is processed.
        case tooManyRequests = "429"
        /// The answer comes `delay` late.
        case delay
        /// The request is processed and committed, then the connection is cut before the answer.
        case cutAfterCommit = "cut"
    }

    /// Fraction of requests that get a fault, 0...1.
    public var rate: Double
    public var kinds: [Kind]
    public var seed: UInt64
    public var delay: Duration

    public init(rate: Double, kinds: [Kind] = Kind.allCases, seed: UInt64 = 1, delay: Duration = .milliseconds(1500)) {
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.delay = delay
    }

    public static let none = FaultConfiguration(rate: 0, kinds: [])
}
