package vocab

import "slices"

// PartKind is what a 部件 (a piece of street furniture) is (parts.kind, categories.part_kind).
type PartKind string

// The 部件 kinds.
const (
	NoticeBoard PartKind = "notice_board" // 宣传栏/公示栏
	WasteBin    PartKind = "waste_bin"    // 垃圾箱/果皮箱
	Manhole     PartKind = "manhole"      // 井盖
	StreetLamp  PartKind = "street_lamp"  // 路灯
	Toilet      PartKind = "toilet"       // 公厕
	BusShelter  PartKind = "bus_shelter"  // 公交站亭
	StreetSign  PartKind = "street_sign"  // 路名牌
	Railing     PartKind = "railing"      // 护栏
)

// PartKindInfo is one 部件 kind with the 大类 and 小类 of its object code (6-digit county + 2-digit 大类 + 2-digit
// 小类 + 6-digit sequence). The classes follow GB/T 30428.2 as we read it (01 公用设施, 02 道路交通, 03 市容环境); only
// 01/01 (上水井盖) is confirmed by a real record (DOMAIN.md §9). Changing one changes new codes only.
type PartKindInfo struct {
	Kind  PartKind
	Label Label
	Major string // 大类, 2 digits
	Minor string // 小类, 2 digits
	// Linear kinds may be short lines (a railing) as well as points.
	Linear bool
}

var partKinds = []PartKindInfo{
	{NoticeBoard, Label{"宣传栏/公示栏", "notice board"}, "03", "10", false},
	{WasteBin, Label{"垃圾箱/果皮箱", "litter bin"}, "03", "04", false},
	{Manhole, Label{"井盖", "manhole cover"}, "01", "01", false},
	{StreetLamp, Label{"路灯", "street lamp"}, "01", "20", false},
	{Toilet, Label{"公厕", "public toilet"}, "03", "01", false},
	{BusShelter, Label{"公交站亭", "bus shelter"}, "02", "03", false},
	{StreetSign, Label{"路名牌", "street name sign"}, "02", "08", false},
	{Railing, Label{"护栏", "railing"}, "02", "12", true},
}

// PartKinds lists every 部件 kind.
var PartKinds = func() []PartKind {
	out := make([]PartKind, len(partKinds))
	for i, k := range partKinds {
		out[i] = k.Kind
	}
	return out
}()

// Info returns the kind's classes; ok is false for a value that is not a 部件 kind.
func (k PartKind) Info() (PartKindInfo, bool) {
	i := slices.IndexFunc(partKinds, func(x PartKindInfo) bool { return x.Kind == k })
	if i < 0 {
		return PartKindInfo{Kind: k, Label: Label{string(k), string(k)}}, false
	}
	return partKinds[i], true
}

// Valid reports whether k is a 部件 kind.
func (k PartKind) Valid() bool { _, ok := k.Info(); return ok }

// Label returns the 部件 kind's name for people.
func (k PartKind) Label() Label { i, _ := k.Info(); return i.Label }

// PartState is the condition a 部件 was last found in (parts.state).
type PartState string

// The 部件 states.
const (
	Intact  PartState = "intact"  // 完好
	Damaged PartState = "damaged" // 损坏
	Missing PartState = "missing" // 丢失
)

var partStates = []Valued[PartState]{
	{Intact, Label{"完好", "intact"}},
	{Damaged, Label{"损坏", "damaged"}},
	{Missing, Label{"丢失", "missing"}},
}

// PartStates lists every 部件 state.
var PartStates = values(partStates)

// Valid reports whether s is a 部件 state.
func (s PartState) Valid() bool { return slices.Contains(PartStates, s) }

// Label returns the state's name for people.
func (s PartState) Label() Label { return labelOf(partStates, s) }

// Side is a side of a street relative to its line's direction (assignments.side, frontages.side).
type Side string

// The sides. Both is what every responsibility interval had before sides existed.
const (
	Left  Side = "left"  // 左侧 (the line's direction ahead)
	Right Side = "right" // 右侧
	Both  Side = "both"  // 两侧
)

var sides = []Valued[Side]{
	{Left, Label{"左侧", "left"}},
	{Right, Label{"右侧", "right"}},
	{Both, Label{"两侧", "both"}},
}

var (
	// Sides lists every side.
	Sides = values(sides)
	// OneSides are the two sides a frontage may lie on.
	OneSides = []Side{Left, Right}
)

// Valid reports whether s is a side.
func (s Side) Valid() bool { return slices.Contains(Sides, s) }

// Label returns the side's name for people.
func (s Side) Label() Label { return labelOf(sides, s) }

// Duty is one of the three duties of 门前三包 (agreements.duties).
type Duty string

// The three duties.
const (
	Sanitation Duty = "sanitation" // 包卫生
	Order      Duty = "order"      // 包秩序
	Greening   Duty = "greening"   // 包绿化
)

var duties = []Valued[Duty]{
	{Sanitation, Label{"包卫生", "keep it clean"}},
	{Order, Label{"包秩序", "keep it orderly"}},
	{Greening, Label{"包绿化", "keep the greenery"}},
}

// Duties lists the three duties.
var Duties = values(duties)

// Valid reports whether d is one of the three duties.
func (d Duty) Valid() bool { return slices.Contains(Duties, d) }

// Label returns the duty's name for people.
func (d Duty) Label() Label { return labelOf(duties, d) }
