/// The ox API's documented rules (ox API reference, 0.1.0). Values only.
public enum OxContract {
    /// Entity ids are 16-digit numbers in every example; sent as integers, returned as strings.
    public static let idDigits = 16
    /// "The sample JWT is HS256 and lives 3 days."
    public static let tokenLifetimeSeconds: Int64 = 3 * 86_400
    /// ox states no size limit; sigport and its emulator apply the 9 MiB of the integration API's
    /// 1.1beta1 page, which sigport was first written against.
    public static let maxRequestBytes = 9 * 1024 * 1024
    /// ox states no rate limit either: 1 request/second per client, as the integration API's pages
    /// say, is sigport's and its emulator's reading.
    public static let requestsPerSecond = 1
    /// Under the 8 KiB request-line limit common to HTTP servers and proxies.
    public static let maxURLBytes = 8_000

    /// The envelope's `program` field.
    public static let program = "ox"
    public static let version = "0.0.5"

    public enum Kind: String, Sendable, CaseIterable {
        case org = "Org", client = "Client", beacon = "Beacon", sensor = "Sensor", event = "Event"

        /// The URL path segment: `/org`, `/client`, …
        public var path: String { rawValue.lowercased() }
    }

    /// JSON types a schema property may take.
    public enum FieldType: String, Sendable {
        case integer, string, boolean, object, idMap, number
    }

    public struct Field: Sendable {
        public let name: String
        public let type: FieldType
        public let required: Bool
        /// A reference to another entity: an integer id on the way in, a Key object on the way out.
        public let reference: Kind?

        init(_ name: String, _ type: FieldType, required: Bool, reference: Kind? = nil) {
            self.name = name
            self.type = type
            self.required = required
            self.reference = reference
        }
    }

    /// Each entity's writable properties as the Schemas section lists them (with the endpoint field
    /// names for events, and the fields the Sensor table leaves out taken from its examples; see
    /// `docs/emulator.md`).
    public static func fields(of kind: Kind) -> [Field] {
        switch kind {
        case .org:
            [Field("org_owner", .integer, required: true, reference: nil),
             Field("org_active", .boolean, required: true),
             Field("org_alias", .string, required: false),
             Field("org_sensors", .idMap, required: true),
             Field("org_beacons", .idMap, required: true),
             Field("org_users", .idMap, required: true),
             Field("org_clients", .idMap, required: true)]
        case .client:
            [Field("client_id", .string, required: true),
             Field("client_name", .string, required: true),
             Field("parent_org", .integer, required: true, reference: .org),
             Field("parent_user", .integer, required: false)]
        case .beacon:
            [Field("parent_org", .integer, required: true, reference: .org),
             Field("beacon_id", .string, required: true),
             Field("beacon_env", .string, required: true),
             Field("beacon_type", .string, required: true),
             Field("beacon_version", .string, required: true),
             Field("beacon_last_event", .object, required: false)]
        case .sensor:
            [Field("parent_org", .integer, required: true, reference: .org),
             Field("sensor_id", .string, required: true),
             Field("sensor_type", .string, required: true),
             Field("sensor_version", .string, required: true)]
        case .event:
            [Field("parent_org", .integer, required: true, reference: .org),
             Field("event_beacon", .integer, required: false, reference: .beacon),
             Field("event_sensor", .integer, required: false, reference: .sensor),
             Field("event_reading", .integer, required: true),
             Field("event_type", .string, required: true),
             Field("event_timestamp", .integer, required: true)]
        }
    }
}
