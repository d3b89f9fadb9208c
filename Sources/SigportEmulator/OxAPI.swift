import Foundation
import GRDB
import Hummingbird
import NIOCore
import SigportContract

/// The ox REST API: `GET /`, the token endpoint, and create/retrieve/update/delete, one or many,
/// for orgs, clients, beacons, sensors and events.
struct OxAPI: Sendable {
    let store: EmulatorStore
    let gate: RequestGate
    let authority: OxAuthority
    private let dialect = OxDialect()

    init(store: EmulatorStore, gate: RequestGate, authority: OxAuthority) {
        self.store = store
        self.gate = gate
        self.authority = authority
    }

    func register(on router: Router<EmulatorRequestContext>) {
        router.get("/") { request, _ in
            await gate.run(request, route: "ox:GET /", dialect: dialect, bodyLimit: limit, authenticate: bearer) { _, _, _ in
                OxEnvelope.success(.object(["status": .string("success"), "message": .string("OK"), "code": .number(200)]))
            }
        }
        router.get("/client/token/:parent_org/:client_id/:client_api_key") { request, context in
            let org = context.parameters.get("parent_org") ?? ""
            let client = context.parameters.get("client_id") ?? ""
            let key = context.parameters.get("client_api_key") ?? ""
            // Every answer is paced: a valid request in its client's lane, a refused one (an
            // unknown client, a wrong key) in its source's. A lane per client id in the URL would
            // let anyone try ids and keys as fast as they like, each guess in a lane of its own.
            let source = gate.lane("ox:GET /client/token", of: "source:" + context.sourceAddress,
                                   requestsPerSecond: Double(OxContract.requestsPerSecond), overRate: .reject)
            return await gate.run(request, route: "ox:GET /client/token", dialect: dialect, bodyLimit: limit, authenticate: { _, _ in
                let found = try await tokenRequest(org: org, client: client, key: key)
                if case .valid = found { return Admission(lane: lane(of: client), caller: found) }
                return Admission(lane: source, caller: found)
            }) { _, _, found in
                try await issueToken(found, client: client)
            }
        }
        for kind in OxContract.Kind.allCases {
            let path = RouterPath(stringLiteral: "/\(kind.path)")
            let withIDs = RouterPath(stringLiteral: "/\(kind.path)/:ids")
            router.post(path) { request, _ in
                await gate.run(request, route: "ox:POST /\(kind.path)", dialect: dialect, bodyLimit: limit, authenticate: bearer) { _, body, claims in
                    try await create(kind, body: body, claims: claims)
                }
            }
            router.get(withIDs) { request, context in
                let ids = context.parameters.get("ids") ?? ""
                return await gate.run(request, route: "ox:GET /\(kind.path)", dialect: dialect, bodyLimit: limit, authenticate: bearer) { _, _, claims in
                    try await retrieve(kind, ids: ids, claims: claims)
                }
            }
            router.put(path) { request, _ in
                await gate.run(request, route: "ox:PUT /\(kind.path)", dialect: dialect, bodyLimit: limit, authenticate: bearer) { _, body, claims in
                    try await update(kind, body: body, claims: claims)
                }
            }
            router.delete(withIDs) { request, context in
                let ids = context.parameters.get("ids") ?? ""
                return await gate.run(request, route: "ox:DELETE /\(kind.path)", dialect: dialect, bodyLimit: limit, authenticate: bearer) { _, _, claims in
                    try await delete(kind, ids: ids, claims: claims)
                }
            }
        }
    }

    /// Every ox call but the token endpoint: a valid JWT, paced per client.
    private func bearer(_ request: Request, _: ByteBuffer) async throws -> Admission<OxClaims> {
        let claims = try await authority.claims(authorization: request.headers[.authorization])
        return Admission(lane: lane(of: claims.sub.value), caller: claims)
    }

    private var limit: Int { gate.configuration.bodyLimit(nil) }

    /// One lane per client for every ox call, token included; ox documents no throttling, so a
    /// request over the rate is refused.
    private func lane(of client: String) -> PaceLane {
        gate.lane("ox", of: "ox:" + client, requestsPerSecond: Double(OxContract.requestsPerSecond), overRate: .reject)
    }

    // MARK: Token

    /// What a token request names: a client of the org whose key matches, or why not.
    enum TokenRequest: Sendable {
        case valid(OxEntityRecord, org: Int64, client: Int64, keyHash: String)
        case wrongKey
        case unknownClient
    }

    private func tokenRequest(org: String, client: String, key: String) async throws -> TokenRequest {
        guard let orgID = Int64(org), let clientID = Int64(client) else { return .unknownClient }
        let found = try await store.read { db -> (OxEntityRecord, OxClientKeyRecord)? in
            guard let entity = try OxEntityRecord.fetchOne(db, key: clientID), entity.kind == "Client",
                  entity.parentOrg == orgID, let key = try OxClientKeyRecord.fetchOne(db, key: clientID)
            else { return nil }
            return (entity, key)
        }
        guard let (entity, stored) = found else { return .unknownClient }
        guard stored.keyHash == IntegrationAPI.hash(key) else { return .wrongKey }
        return .valid(entity, org: orgID, client: clientID, keyHash: stored.keyHash)
    }

    /// The documented answers: 404 for an unknown client, 403 for a wrong key, else the client and a token.
    private func issueToken(_ request: TokenRequest, client: String) async throws -> Response {
        switch request {
        case .unknownClient: throw APIError.ox(.notFound, "The client was not found", ids: [client])
        case .wrongKey: throw APIError.ox(.forbidden, "The API key does not match the one stored", ids: [client])
        case .valid(let entity, let orgID, let clientID, let keyHash):
            let document = JSONValue.parse(entity.document)?.objectValue ?? [:]
            let token = try await authority.token(forClient: clientID, clientID: document["client_id"]?.stringValue ?? "",
                                                  name: document["client_name"]?.stringValue ?? "", org: orgID)
            var data = OxEntities.render(entity, secretHash: keyHash)
            data["token"] = .string(token)
            return OxEnvelope.success(.object(data))
        }
    }

    // MARK: CRUD

    private func parseBody(_ body: ByteBuffer) throws -> JSONValue {
        guard let value = JSONValue.parseStrict(Data(buffer: body)) else {
            throw APIError.ox(.badRequest, "Invalid payload: the body is not valid JSON")
        }
        return value
    }

    private func create(_ kind: OxContract.Kind, body: ByteBuffer, claims: OxClaims) async throws -> Response {
        let payload = try parseBody(body)
        let objects: [JSONValue]
        switch payload {
        case .object: objects = [payload]
        case .array(let array) where !array.isEmpty: objects = array
        default: throw APIError.ox(.badRequest, "Invalid payload: send a \(kind.rawValue) object or a non-empty array of them")
        }
        if kind == .org && !claims.isAdmin { throw APIError.ox(.forbidden, "Only Signal can create orgs") }
        var documents: [[String: JSONValue]] = []
        for (index, object) in objects.enumerated() {
            let document = try OxEntities.validate(kind, object, partial: false, at: objects.count > 1 ? "[\(index)]" : "")
            if kind != .org, !claims.isAdmin, document["parent_org"]?.integerValue != claims.org {
                throw APIError.ox(.forbidden, "This client acts only inside its own org: parent_org must be \(claims.org.map(String.init) ?? "?")")
            }
            documents.append(document)
        }
        let now = RFC3339Time.format(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
        let entities = documents
        let (ids, keys) = try await store.write { db -> ([Int64], [String]) in
            var ids: [Int64] = []
            var keys: [String] = []
            for document in entities {
                try OxEntities.checkReferences(document, kind: kind, db: db)
                let id = Identifiers.oxID()
                let parentOrg = kind == .org ? id : document["parent_org"]?.integerValue
                try OxEntityRecord(id: id, kind: kind.rawValue, parentOrg: parentOrg, document: JSONValue.object(document).jsonText(),
                                   createdAt: now, modifiedAt: now).insert(db)
                if kind == .client {
                    let key = Identifiers.secret()
                    try OxClientKeyRecord(clientEntityID: id, keyHash: IntegrationAPI.hash(key)).insert(db)
                    keys.append(key)
                }
                ids.append(id)
            }
            return (ids, keys)
        }
        var data: [String: JSONValue] = ["ids": .array(ids.map { .string(String($0)) }), "info": .string("done")]
        if kind == .client {
            // The key is shown once, here; only its hash is kept.
            if case .object = payload { data["client_api_key"] = .string(keys[0]) } else { data["client_api_keys"] = .array(keys.map(JSONValue.string)) }
        }
        return OxEnvelope.success(.object(data))
    }

    private func retrieve(_ kind: OxContract.Kind, ids text: String, claims: OxClaims) async throws -> Response {
        let ids = try OxEntities.parseIDs(text)
        let records = try await fetchOwned(kind, ids: ids, claims: claims)
        let hashes = kind == .client ? try await store.read { db in
            try OxClientKeyRecord.filter(keys: ids).fetchAll(db)
        } : []
        let rendered = records.map { record in
            JSONValue.object(OxEntities.render(record, secretHash: hashes.first { $0.clientEntityID == record.id }?.keyHash))
        }
        // One id in the URL is "retrieve one" (an object); a list, even `X,X`, is "retrieve many".
        return OxEnvelope.success(text.contains(",") ? .array(rendered) : rendered[0])
    }

    private func update(_ kind: OxContract.Kind, body: ByteBuffer, claims: OxClaims) async throws -> Response {
        guard case .object(let changesByID) = try parseBody(body), !changesByID.isEmpty else {
            throw APIError.ox(.badRequest, "Invalid payload: send {\"<id>\": {changes}, …}")
        }
        let ids = try OxEntities.parseIDs(changesByID.keys.sorted().joined(separator: ","))
        var changes: [Int64: [String: JSONValue]] = [:]
        for id in ids {
            changes[id] = try OxEntities.validate(kind, changesByID[String(id)] ?? .null, partial: true, at: String(id))
        }
        _ = try await fetchOwned(kind, ids: ids, claims: claims)
        // Changing parent_org moves an entity to another (existing) org: allowed to the owner's
        // clients, as the page's update examples do; checkReferences refuses an unknown org.
        let now = RFC3339Time.format(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
        let changeSets = changes
        try await store.write { db in
            for id in ids {
                guard var record = try OxEntityRecord.fetchOne(db, key: id), var document = JSONValue.parse(record.document)?.objectValue
                else { throw APIError.ox(.notFound, "The resource was not found", ids: [String(id)]) }
                for (field, value) in changeSets[id] ?? [:] { document[field] = value }
                try OxEntities.checkReferences(document, kind: kind, db: db)
                record.document = JSONValue.object(document).jsonText()
                if kind != .org { record.parentOrg = document["parent_org"]?.integerValue }
                record.modifiedAt = now
                try record.update(db)
            }
        }
        return OxEnvelope.success(.object(["ids": .array(ids.map { .string(String($0)) }), "info": .string("done")]))
    }

    private func delete(_ kind: OxContract.Kind, ids text: String, claims: OxClaims) async throws -> Response {
        let ids = try OxEntities.parseIDs(text)
        if kind == .org && !claims.isAdmin { throw APIError.ox(.forbidden, "Only Signal can delete orgs") }
        _ = try await fetchOwned(kind, ids: ids, claims: claims)
        try await store.write { db in
            for start in stride(from: 0, to: ids.count, by: 10_000) { _ = try OxEntityRecord.deleteAll(db, keys: ids[start..<min(start + 10_000, ids.count)]) }
        }
        return OxEnvelope.success(.object(["ids": .array(ids.map { .string(String($0)) }), "info": .string("done")]))
    }

    /// The entities, in the order asked, after checking they exist (404 naming the missing ones)
    /// and belong to the caller's org (403).
    private func fetchOwned(_ kind: OxContract.Kind, ids: [Int64], claims: OxClaims) async throws -> [OxEntityRecord] {
        // In slices: SQLite binds at most 32,766 parameters (250,000 in some builds), and a body
        // may name more ids than that.
        let found = try await store.read { db in
            try stride(from: 0, to: ids.count, by: 10_000).flatMap { start in
                try OxEntityRecord.filter(keys: ids[start..<min(start + 10_000, ids.count)]).filter(Column("kind") == kind.rawValue).fetchAll(db)
            }
        }
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = ids.filter { byID[$0] == nil }
        if !missing.isEmpty { throw APIError.ox(.notFound, "The resource was not found", ids: missing.map(String.init)) }
        let records = ids.compactMap { byID[$0] }
        if !claims.isAdmin {
            let foreign = records.filter { $0.parentOrg != claims.org }
            if !foreign.isEmpty {
                throw APIError.ox(.forbidden, "This client acts only inside its own org", ids: foreign.map { String($0.id) })
            }
        }
        return records
    }
}
