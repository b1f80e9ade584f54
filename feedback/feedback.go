// Package feedback reads the provincial evaluation team's problem list (测评反馈问题清单) from an .xlsx or .csv
// as spreadsheet programs write it — a title row above the header, merged header cells, a 坐标 header over 经度
// and 纬度, a UTF-8 BOM or GB18030 text — and parses "XX路与XX路交叉口向西XX米" style place descriptions. Pure: it
// locates nothing (the service does, against the network).
package feedback

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Row is one data row of a feedback list.
type Row struct {
	Line     int    // the row's number in the sheet, 1-based as the spreadsheet shows it
	Seq      string // 序号
	Place    string // 点位/地点描述
	Problem  string // 问题描述
	Category string // 类别 (optional)
	Lon, Lat *float64
	Photos   string // photo file names (optional)
	// CoordError says why coordinates given in the row were not usable ("" when none were given or they were).
	CoordError string
}

// Hash is the row's content hash: its text without the 序号 and the line, so that the same problem in the same
// place is one row however the list is renumbered.
func (r Row) Hash() string {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	coord := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', 6, 64)
	}
	h := sha256.Sum256([]byte(strings.Join([]string{norm(r.Place), norm(r.Problem), norm(r.Category), coord(r.Lon), coord(r.Lat)}, "\x1f")))
	return hex.EncodeToString(h[:])
}

// ErrNoHeader is returned when no row of the sheet's first rows names a 问题描述 column.
var ErrNoHeader = errors.New("feedback: no header row with a 问题描述 (problem) column in the first 10 rows")

// column names, by what the cell contains (the first match wins, so the longer names come first).
var columns = []struct{ field, names string }{
	{"problem", "问题描述|问题内容|存在问题|问题"},
	{"place", "点位|地点描述|地点|位置描述|位置|地址"},
	{"seq", "序号|编号"},
	{"category", "类别|类型|分类"},
	{"lonlat", "经纬度|坐标"},
	{"lon", "经度"},
	{"lat", "纬度"},
	{"photos", "照片|图片"},
}

func fieldOf(header string) string {
	h := strings.ReplaceAll(strings.TrimSpace(header), " ", "")
	// A header is a short label; a long cell naming 问题 is a title (…反馈问题清单) or data.
	if h == "" || utf8.RuneCountInString(h) > 10 {
		return ""
	}
	for _, c := range columns {
		for _, n := range strings.Split(c.names, "|") {
			if strings.Contains(h, n) {
				return c.field
			}
		}
	}
	return ""
}

// Read reads a feedback list; name's extension (.xlsx, .csv) says which, and without one the content does.
func Read(name string, data []byte) ([]Row, error) {
	var grid [][]string
	var err error
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".xlsx") || (!strings.HasSuffix(lower, ".csv") && bytes.HasPrefix(data, []byte("PK"))):
		grid, err = readXLSX(data)
	default:
		grid, err = readCSV(data)
	}
	if err != nil {
		return nil, err
	}
	return rows(grid)
}

func readXLSX(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("feedback: not a readable .xlsx: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("feedback: the workbook has no sheet")
	}
	grid, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("feedback: read sheet %q: %w", sheets[0], err)
	}
	return grid, nil
}

func readCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) { // Excel on a Chinese Windows saves CSV as GB18030 (GBK)
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, errors.New("feedback: the CSV is neither UTF-8 nor GB18030 text")
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var grid [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("feedback: CSV: %w", err)
		}
		grid = append(grid, rec)
	}
	return grid, nil
}

// rows finds the header (a title row may come first; a second header row under merged cells may follow), maps
// its columns and returns the data rows; blank rows and rows with neither place nor problem are skipped.
func rows(grid [][]string) ([]Row, error) {
	hdr := -1
	for i := 0; i < len(grid) && i < 10; i++ {
		for _, c := range grid[i] {
			if fieldOf(c) == "problem" {
				hdr = i
				break
			}
		}
		if hdr >= 0 {
			break
		}
	}
	if hdr < 0 {
		return nil, ErrNoHeader
	}
	cols := map[string]int{}
	assign := func(row []string) int {
		n := 0
		for j, c := range row {
			if f := fieldOf(c); f != "" {
				if _, seen := cols[f]; !seen {
					cols[f] = j
				}
				n++
			}
		}
		return n
	}
	assign(grid[hdr])
	start := hdr + 1
	// A second header row: the cells under a merged 坐标 (or any header) name 经度/纬度 and hold no data.
	if start < len(grid) {
		sub := 0
		for _, c := range grid[start] {
			if f := fieldOf(c); f == "lon" || f == "lat" {
				sub++
			}
		}
		if sub > 0 {
			assign(grid[start])
			start++
		}
	}
	cell := func(row []string, f string) string {
		j, ok := cols[f]
		if !ok || j >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[j])
	}
	var out []Row
	for i := start; i < len(grid); i++ {
		g := grid[i]
		r := Row{Line: i + 1, Seq: cell(g, "seq"), Place: cell(g, "place"), Problem: cell(g, "problem"),
			Category: cell(g, "category"), Photos: cell(g, "photos")}
		if r.Place == "" && r.Problem == "" {
			continue
		}
		lon, lat := cell(g, "lon"), cell(g, "lat")
		if both := cell(g, "lonlat"); both != "" && lon == "" && lat == "" {
			parts := strings.FieldsFunc(both, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == ';' })
			if len(parts) == 2 {
				lon, lat = parts[0], parts[1]
			} else {
				r.CoordError = fmt.Sprintf("坐标「%s」不是「经度,纬度」", both)
			}
		}
		if lon != "" || lat != "" {
			x, ex := number(lon)
			y, ey := number(lat)
			switch {
			case ex != nil || ey != nil:
				r.CoordError = fmt.Sprintf("经纬度「%s, %s」不是数字", lon, lat)
			case x < -180 || x > 180 || y < -90 || y > 90:
				if y >= -180 && y <= 180 && x >= -90 && x <= 90 { // the columns were swapped
					x, y = y, x
					r.Lon, r.Lat = &x, &y
				} else {
					r.CoordError = fmt.Sprintf("经纬度「%s, %s」超出范围", lon, lat)
				}
			default:
				r.Lon, r.Lat = &x, &y
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func number(s string) (float64, error) {
	s = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), "°度"))
	return strconv.ParseFloat(s, 64)
}

// Place is a parsed place description: a road, a cross street, and an offset from the crossing.
type Place struct {
	Road, Cross string  // as written; the service matches them to network names
	Bearing     float64 // compass bearing of the offset, degrees (东 90, 南 180 …)
	OffsetM     float64 // 0: at the crossing
}

// roadName is a name ending in one of the suffixes roads carry; the service matches its longest known suffix
// (so "城关镇人民路" finds 人民路).
const roadName = `[\p{Han}A-Za-z0-9]+?(?:大道|大街|胡同|路|街|巷|道)`

var (
	crossRE  = regexp.MustCompile(`(` + roadName + `)\s*(?:与|和|、|/|／|跟|交)\s*(` + roadName + `)`)
	joinedRE = regexp.MustCompile(`(` + roadName + `)(` + roadName + `)(?:路口|口|交叉口)`)
	offsetRE = regexp.MustCompile(`(?:向|往|以)?(东北|东南|西北|西南|东|南|西|北)(?:侧|方向|方)?\s*(?:约)?\s*(\d+(?:\.\d+)?)\s*(?:米|m|M)`)
	bearings = map[string]float64{"北": 0, "东北": 45, "东": 90, "东南": 135, "南": 180, "西南": 225, "西": 270, "西北": 315}
	// OnlyRoad matches a description that names a road and nothing to fix a point on it.
	onlyRoadRE = regexp.MustCompile(roadName)
)

// ParsePlace parses a description such as "人民路与建设路交叉口向西50米路南" or "人民路建设路口"; ok is false when
// it names no cross street (reason then says what it lacks).
func ParsePlace(s string) (p Place, ok bool, reason string) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	m := crossRE.FindStringSubmatchIndex(s)
	if m == nil {
		m = joinedRE.FindStringSubmatchIndex(s)
	}
	if m == nil {
		if onlyRoadRE.MatchString(s) {
			return p, false, "只有路名，没有交叉路口，无法确定位置"
		}
		if s == "" {
			return p, false, "既无坐标也无地点描述"
		}
		return p, false, "地点描述中没有可识别的路名"
	}
	p.Road, p.Cross = s[m[2]:m[3]], s[m[4]:m[5]]
	if o := offsetRE.FindStringSubmatch(s[m[1]:]); o != nil {
		p.Bearing = bearings[o[1]]
		p.OffsetM, _ = strconv.ParseFloat(o[2], 64)
	}
	return p, true, ""
}
