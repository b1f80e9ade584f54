package handlers

import "everymeter/domain"

// frontageSheets are the 门前三包 sheets of the ranking and the briefing exports: per unit (the stretches it
// leads) and, when the briefing gives them, per street by side.
func frontageSheets(units []domain.UnitStat, fb *domain.FrontageBriefing) []xlsxSheet {
	us := xlsxSheet{Name: "Frontage by unit", Cols: []xlsxCol{
		{"Unit code", ""}, {"Unit", ""}, {"Led (m)", "0.0"}, {"Left covered (m)", "0.0"}, {"Right covered (m)", "0.0"},
		{"Left coverage", "pct"}, {"Right coverage", "pct"}, {"Frontage coverage", "pct"},
	}}
	for _, u := range units {
		if f := u.Frontage; f != nil && f.LeadM > 0 {
			us.Rows = append(us.Rows, []any{u.Code, u.Name, f.LeadM, f.LeftM, f.RightM, opt(f.Left), opt(f.Right), opt(f.Rate)})
		}
	}
	out := []xlsxSheet{us}
	if fb == nil {
		return out
	}
	ss := xlsxSheet{Name: "Frontage by street", Cols: []xlsxCol{
		{"Asset", ""}, {"Street", ""}, {"Length (m)", "0.00"}, {"Shops", ""}, {"Left covered (m)", "0.0"}, {"Right covered (m)", "0.0"},
		{"Left coverage", "pct"}, {"Right coverage", "pct"},
	}}
	for _, s := range fb.Streets {
		ss.Rows = append(ss.Rows, []any{s.AssetID, s.Name, s.LengthM, s.Shops, s.LeftM, s.RightM, opt(s.Left), opt(s.Right)})
	}
	return append(out, ss)
}
