package vocab

import "slices"

// BaseLayer is a layer of the base map (base_features.layer): what is drawn under the network for orientation.
type BaseLayer string

// The base map's layers.
const (
	LandUse  BaseLayer = "landuse"  // 用地: blocks, commercial land, parks and green areas
	Water    BaseLayer = "water"    // 水系: rivers, ponds
	Building BaseLayer = "building" // 建筑
	Place    BaseLayer = "place"    // 地名: the town, its communities
)

var baseLayers = []Valued[BaseLayer]{
	{LandUse, Label{"用地", "Land use"}},
	{Water, Label{"水系", "Water"}},
	{Building, Label{"建筑", "Buildings"}},
	{Place, Label{"地名", "Places"}},
}

// BaseLayers lists every base-map layer.
var BaseLayers = values(baseLayers)

// Valid reports whether l is a base-map layer.
func (l BaseLayer) Valid() bool { return slices.Contains(BaseLayers, l) }

// Label returns the layer's name for people.
func (l BaseLayer) Label() Label { return labelOf(baseLayers, l) }
