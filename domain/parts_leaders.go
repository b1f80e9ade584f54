package domain

import "time"

// UnitFrontage is the 门前三包 coverage of the stretches a unit leads: of both sides of the street it leads, the
// meters fronted by a shop with an agreement valid today (whoever the agreement is with).
type UnitFrontage struct {
	LeadM      float64  `json:"lead_m"`       // the meters of street the unit leads, as one line (the ranking's km)
	LeadLeftM  float64  `json:"lead_left_m"`  // of those, the meters it leads on the left side (LeadM unless some assignment holds on one side only)
	LeadRightM float64  `json:"lead_right_m"` // and on the right side
	LeftM      float64  `json:"left_m"`       // covered meters on the left side of those stretches
	RightM     float64  `json:"right_m"`      // and on the right
	CoveredM   float64  `json:"covered_m"`    // LeftM + RightM
	Left       *float64 `json:"left"`         // LeftM / LeadLeftM (null when the unit leads nothing on that side)
	Right      *float64 `json:"right"`        // RightM / LeadRightM
	Rate       *float64 `json:"rate"`         // CoveredM / (LeadLeftM + LeadRightM)
}

// StreetSides is one street's 门前三包 coverage on each side.
type StreetSides struct {
	AssetID int64    `json:"asset_id"`
	Name    string   `json:"name"`
	LengthM float64  `json:"length_m"` // one side
	LeftM   float64  `json:"left_m"`
	RightM  float64  `json:"right_m"`
	Left    *float64 `json:"left"`  // LeftM / LengthM (null for a street of no length)
	Right   *float64 `json:"right"` // RightM / LengthM
	Shops   int      `json:"shops"` // shops with a frontage on it (valid agreement or not)
}

// FrontageBriefing is the briefing's 门前三包 section: the network by side and the streets with a frontage, the
// least covered first (at most BriefingStreets of them; per unit it is in each UnitStat's Frontage).
type FrontageBriefing struct {
	Sides        []SideTotal   `json:"sides"`
	Streets      []StreetSides `json:"streets"`
	StreetsTotal int           `json:"streets_total"` // how many streets have a frontage
}

// BriefingStreets is how many streets the briefing's 门前三包 section lists.
const BriefingStreets = 20

// ShopRepeat is one shop's count of cases filed at its frontage in a period (repeat cases: the shops that break
// their 门前三包 agreement most); its contact only as the visibility policy allows.
type ShopRepeat struct {
	ShopID         int64   `json:"shop_id"`
	Name           string  `json:"name"`
	ContactPerson  string  `json:"contact_person"`
	Phone          string  `json:"phone"`
	Side           string  `json:"side"`
	FromM          float64 `json:"from_m"`
	ToM            float64 `json:"to_m"`
	Cases          int     `json:"cases"`
	AgreementID    *int64  `json:"agreement_id"`    // the agreement valid today, else none
	AgreementValid bool    `json:"agreement_valid"` // the shop holds an agreement valid today
}

// StreetRepeats is one street's shops by their cases, most first.
type StreetRepeats struct {
	AssetID int64        `json:"asset_id"`
	Name    string       `json:"name"`
	Cases   int          `json:"cases"`
	Shops   []ShopRepeat `json:"shops"`
}

// RepeatQuery selects the repeat cases counted: those created in [From, To) on one street (nil: all) at shops
// with at least MinCount of them.
type RepeatQuery struct {
	From, To time.Time
	AssetID  *int64
	MinCount int
}
