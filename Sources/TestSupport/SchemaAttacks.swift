/// Schema-level attacks on one table of a recording, shared by the reader's fuzz tests and
/// its fuzz target: SQL objects planted in the file, or the table itself changed. In the
/// statements `{T}` is the table, `{C}` one of its columns, and `{COLUMNS}` its columns as a
/// select list, `{C}` replaced by `value` (from an endless sequence `n`, or a gigabyte).
public enum SchemaAttacks {
    /// Every attack: its name, the value `{C}` becomes, and the statements that plant it.
    public static let all: [(name: String, value: String, statements: [String])] = [
        (
            "a view over an endless recursive query", "n",
            [
                "DROP TABLE {T}",
                "CREATE VIEW {T} AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT {COLUMNS} FROM r",
            ]
        ),
        (
            "a view with a 1 GB zeroblob column", "zeroblob(1000000000)",
            [
                "ALTER TABLE {T} RENAME TO {T}_data", "CREATE VIEW {T} AS SELECT {COLUMNS} FROM {T}_data",
            ]
        ),
        (
            "a view that copies the table", "{C}",
            ["ALTER TABLE {T} RENAME TO {T}_data", "CREATE VIEW {T} AS SELECT {COLUMNS} FROM {T}_data"]
        ),
        ("a trigger", "", ["CREATE TRIGGER {T}_planted AFTER INSERT ON {T} BEGIN SELECT 1; END"]),
        (
            "a generated column of 1e9 bytes", "",
            ["ALTER TABLE {T} ADD COLUMN planted BLOB GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL"]
        ),
        ("a column added", "", ["ALTER TABLE {T} ADD COLUMN planted TEXT"]),
        ("an extra table", "", ["CREATE TABLE {T}_planted (x BLOB)"]),
        ("an extra index", "", ["CREATE INDEX {T}_planted ON {T} ({C})"]),
        ("a dropped column", "", ["ALTER TABLE {T} DROP COLUMN {C}"]),
        ("a renamed column", "", ["ALTER TABLE {T} RENAME COLUMN {C} TO {C}_renamed"]),
        ("a renamed table", "", ["ALTER TABLE {T} RENAME TO {T}_renamed"]),
        ("statistics (ANALYZE)", "", ["ANALYZE"]),
        ("a virtual table", "", ["CREATE VIRTUAL TABLE {T}_planted USING fts5(x)"]),
    ]
}
