import Foundation

extension Mapping {
    /// A reader for one input in the mapping's format.
    public func reader(for input: InputFile) throws -> any RowReader {
        switch source.format {
        case .csv:
            var reader = try CSVReader(input: input, dialect: source.csv)
            reader.readOnly(Set(referencedFields))
            return reader
        case .jsonl:
            return try JSONLReader(source: input.open(), file: input.path, paths: referencedFields,
                                   each: source.each.map { JSONLEach(path: $0, items: itemFields) })
        }
    }
}
