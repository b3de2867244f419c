/// A flattened device tree (devicetree specification v0.4, chapter 5) and the tree that
/// describes this board, as QEMU's `virt` builds it for the devices Timescope has.
///
/// ```
/// ┌────────────┬──────────────────┬──────────────────┬─────────────┐
/// │ header 40B │ reserve map 16B  │ structure block  │ strings     │
/// │ magic …    │ (empty: 0, 0)    │ BEGIN_NODE PROP… │ "compatible"│
/// └────────────┴──────────────────┴──────────────────┴─────────────┘
/// ```
/// All integers are big-endian. Firmware finds it through a1 at reset (`ResetROM`).
public struct DeviceTree: Equatable, Sendable {
    /// One node: its name (with unit address), properties in order, children in order.
    public struct Node: Equatable, Sendable {
        /// The node name with its unit address (`serial@10000000`); the root's is empty.
        public var name: String
        /// Properties in order: name and encoded value.
        public var properties: [(name: String, value: [UInt8])]
        /// Child nodes in order.
        public var children: [Node]

        /// A node with these properties and children.
        public init(_ name: String, _ properties: [(String, Value)] = [], children: [Node] = []) {
            self.name = name
            self.properties = properties.map { ($0.0, $0.1.bytes) }
            self.children = children
        }

        /// Same name, properties (in order) and children.
        public static func == (lhs: Node, rhs: Node) -> Bool {
            lhs.name == rhs.name && lhs.children == rhs.children
                && lhs.properties.map(\.name) == rhs.properties.map(\.name)
                && lhs.properties.map(\.value) == rhs.properties.map(\.value)
        }
    }

    /// A property value in one of the forms the specification names (2.2.4).
    public enum Value: Sendable {
        /// No value: the property's presence is the information.
        case empty
        /// 32-bit big-endian cells.
        case cells([UInt32])
        /// NUL-terminated strings, one after the other (a string list).
        case strings([String])

        var bytes: [UInt8] {
            switch self {
            case .empty: return []
            case .cells(let cells): return cells.flatMap { DeviceTree.bigEndian($0) }
            case .strings(let strings): return strings.flatMap { Array($0.utf8) + [0] }
            }
        }
    }

    /// The root node (`/`).
    public var root: Node

    /// The blob: header, empty memory reservation map, structure block, strings block.
    public func flattened() -> [UInt8] {
        var structure: [UInt8] = []
        var strings: [UInt8] = []
        var stringOffsets: [String: Int] = [:]
        func token(_ value: UInt32) { structure += DeviceTree.bigEndian(value) }
        func pad() { while structure.count % 4 != 0 { structure.append(0) } }
        func emit(_ node: Node) {
            token(Token.beginNode)
            structure += Array(node.name.utf8) + [0]
            pad()
            for property in node.properties {
                let offset =
                    stringOffsets[property.name]
                    ?? {
                        let offset = strings.count
                        strings += Array(property.name.utf8) + [0]
                        stringOffsets[property.name] = offset
                        return offset
                    }()
                token(Token.property)
                token(UInt32(property.value.count))
                token(UInt32(offset))
                structure += property.value
                pad()
            }
            node.children.forEach(emit)
            token(Token.endNode)
        }
        emit(root)
        token(Token.end)

        let headerSize = 40
        let reserveMapOffset = headerSize  // already 8-byte aligned
        let structureOffset = reserveMapOffset + 16
        let stringsOffset = structureOffset + structure.count
        let totalSize = stringsOffset + strings.count
        var blob: [UInt8] = []
        for field in [
            DeviceTree.magic, UInt32(totalSize), UInt32(structureOffset), UInt32(stringsOffset),
            UInt32(reserveMapOffset), 17, 16, 0, UInt32(strings.count), UInt32(structure.count),
        ] {
            blob += DeviceTree.bigEndian(field)
        }
        blob += [UInt8](repeating: 0, count: 16)
        blob += structure
        blob += strings
        return blob
    }

    /// 0xd00dfeed, the first word of every blob.
    public static let magic: UInt32 = 0xD00D_FEED

    enum Token {
        static let beginNode: UInt32 = 1
        static let endNode: UInt32 = 2
        static let property: UInt32 = 3
        static let end: UInt32 = 9
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [
            UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ]
    }
}

extension DeviceTree {
    /// The tree QEMU 7.2's `virt` builds, restricted to the devices this board has: memory,
    /// the hart (with the ISA Timescope implements), the ns16550a UART, CLINT, PLIC and the
    /// sifive_test finisher with its poweroff/reboot syscon nodes. Node names, compatible
    /// strings, addresses, interrupt numbers and phandles are QEMU's; left out are QEMU's
    /// devices Timescope does not model (virtio, PCIe, flash, fw-cfg, RTC, PMU) and
    /// `/chosen/rng-seed`, which QEMU fills with random bytes on every boot.
    public static func virt(_ board: BoardConfiguration) -> DeviceTree {
        let cpuPhandle: UInt32 = 1
        let interruptControllerPhandle: UInt32 = 2
        let plicPhandle: UInt32 = 3
        let testPhandle: UInt32 = 4
        func reg(_ base: UInt32, _ size: UInt32) -> Value { .cells([0, base, 0, size]) }
        return DeviceTree(
            root: Node(
                "",
                [
                    ("#address-cells", .cells([2])), ("#size-cells", .cells([2])),
                    ("compatible", .strings(["riscv-virtio"])), ("model", .strings(["riscv-virtio,qemu"])),
                ],
                children: [
                    Node("chosen", [("stdout-path", .strings(["/soc/serial@10000000"]))]),
                    Node(
                        "poweroff",
                        [
                            ("value", .cells([0x5555])), ("offset", .cells([0])),
                            ("regmap", .cells([testPhandle])),
                            ("compatible", .strings(["syscon-poweroff"])),
                        ]),
                    Node(
                        "reboot",
                        [
                            ("value", .cells([0x7777])), ("offset", .cells([0])),
                            ("regmap", .cells([testPhandle])),
                            ("compatible", .strings(["syscon-reboot"])),
                        ]),
                    Node(
                        "memory@\(hexDigits(board.ramBase))",
                        [("device_type", .strings(["memory"])), ("reg", reg(board.ramBase, board.ramSize))]),
                    Node(
                        "cpus",
                        [
                            ("#address-cells", .cells([1])), ("#size-cells", .cells([0])),
                            ("timebase-frequency", .cells([10_000_000])),
                        ],
                        children: [
                            Node(
                                "cpu@0",
                                [
                                    ("phandle", .cells([cpuPhandle])), ("device_type", .strings(["cpu"])),
                                    ("reg", .cells([0])),
                                    ("status", .strings(["okay"])), ("compatible", .strings(["riscv"])),
                                    ("riscv,isa", .strings(["rv32imac_zicsr_zifencei"])),
                                ],
                                children: [
                                    Node(
                                        "interrupt-controller",
                                        [
                                            ("#interrupt-cells", .cells([1])),
                                            ("interrupt-controller", .empty),
                                            ("compatible", .strings(["riscv,cpu-intc"])),
                                            ("phandle", .cells([interruptControllerPhandle])),
                                        ])
                                ]),
                            Node(
                                "cpu-map",
                                children: [
                                    Node(
                                        "cluster0", children: [Node("core0", [("cpu", .cells([cpuPhandle]))])]
                                    )
                                ]),
                        ]),
                    Node(
                        "soc",
                        [
                            ("#address-cells", .cells([2])), ("#size-cells", .cells([2])),
                            ("compatible", .strings(["simple-bus"])),
                            ("ranges", .empty),
                        ],
                        children: [
                            Node(
                                "serial@10000000",
                                [
                                    ("interrupts", .cells([UInt32(UART16550.plicSource)])),
                                    ("interrupt-parent", .cells([plicPhandle])),
                                    ("clock-frequency", .cells([0x38_4000])),
                                    ("reg", reg(Machine.uartBase, 0x100)),
                                    ("compatible", .strings(["ns16550a"])),
                                ]),
                            Node(
                                "test@100000",
                                [
                                    ("phandle", .cells([testPhandle])),
                                    ("reg", reg(Machine.finisherBase, 0x1000)),
                                    ("compatible", .strings(["sifive,test1", "sifive,test0", "syscon"])),
                                ]),
                            Node(
                                "plic@c000000",
                                [
                                    ("phandle", .cells([plicPhandle])), ("riscv,ndev", .cells([0x60])),
                                    ("reg", reg(Machine.plicBase, 0x60_0000)),
                                    (
                                        "interrupts-extended",
                                        .cells([
                                            interruptControllerPhandle, 11, interruptControllerPhandle, 9,
                                        ])
                                    ),
                                    ("interrupt-controller", .empty),
                                    ("compatible", .strings(["sifive,plic-1.0.0", "riscv,plic0"])),
                                    ("#address-cells", .cells([0])), ("#interrupt-cells", .cells([1])),
                                ]),
                            Node(
                                "clint@2000000",
                                [
                                    (
                                        "interrupts-extended",
                                        .cells([interruptControllerPhandle, 3, interruptControllerPhandle, 7])
                                    ),
                                    ("reg", reg(Machine.clintBase, 0x1_0000)),
                                    ("compatible", .strings(["sifive,clint0", "riscv,clint0"])),
                                ]),
                        ]),
                ]))
    }
}
