import Foundation

extension Mapping {
    /// A reader for one input in the mapping's format; `digest` records the bytes it reads (an
    /// import's, so that a resume can tell whether they changed).
    public func reader(for input: InputFile, digest: ContentDigest? = nil) throws -> any RowReader {
        let bytes: any ByteSource = try digest.map { DigestingByteSource(base: try input.open(), digest: $0) } ?? input.open()
        switch source.format {
        case .csv:
            var reader = try CSVReader(source: bytes, file: input.path, dialect: source.csv)
            reader.readOnly(Set(referencedFields))
            return reader
        case .jsonl:
            return try JSONLReader(source: bytes, file: input.path, paths: referencedFields,
                                   each: source.each.map { JSONLEach(path: $0, items: itemFields) })
        }
    }
}
