package collections

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

func init() {
	RegisterFieldType("geoPoint", func() FieldOptions { return &GeoPointOptions{} })
}

// GeoPointOptions configures a geographic point field, {"lon": x, "lat": y}
// stored as jsonb, as in PocketBase. It has no options; a required point
// must not be (0, 0) ("Null Island").
type GeoPointOptions struct{}

// GeoPoint is the value of a geoPoint field.
type GeoPoint struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// ZeroGeoPoint is the stored form of the empty point, the value of a
// geoPoint field that was never set.
var ZeroGeoPoint = json.RawMessage(`{"lon":0,"lat":0}`)

// Storage implements FieldOptions.
func (o *GeoPointOptions) Storage() Storage { return StorageJSON }

// Check implements FieldOptions.
func (o *GeoPointOptions) Check(Lookup, *Collection, *Field) *FieldError { return nil }

// IsEmpty implements Emptier: the point (0, 0) is empty.
func (o *GeoPointOptions) IsEmpty(v any) bool {
	p, ok := ParseGeoPoint(v)
	return ok && p.IsZero()
}

// Prepare implements FieldOptions. It takes an object with lon and lat
// numbers, or that object as JSON text; null, "" and {} are the empty point.
func (o *GeoPointOptions) Prepare(v any) (any, *FieldError) {
	p, ok := ParseGeoPoint(v)
	if !ok {
		return nil, &FieldError{Code: "validation_invalid_geo_point", Message: `Must be an object with "lon" and "lat" numbers.`}
	}
	if p.Lat < -90 || p.Lat > 90 {
		return nil, &FieldError{Code: "validation_invalid_latitude", Message: "Latitude must be between -90 and 90 degrees."}
	}
	if p.Lon < -180 || p.Lon > 180 {
		return nil, &FieldError{Code: "validation_invalid_longitude", Message: "Longitude must be between -180 and 180 degrees."}
	}
	return p.JSON(), nil
}

// ParseGeoPoint reads a point from a decoded JSON value, JSON text or a
// stored value. Missing coordinates are 0; nil and empty text are the
// zero point.
func ParseGeoPoint(v any) (GeoPoint, bool) {
	var p GeoPoint
	var raw []byte
	switch x := v.(type) {
	case nil:
		return p, true
	case GeoPoint:
		return x, true
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	case string:
		raw = []byte(x)
	case map[string]any:
		var ok bool
		if p.Lon, ok = coordinate(x["lon"]); !ok {
			return p, false
		}
		if p.Lat, ok = coordinate(x["lat"]); !ok {
			return p, false
		}
		return p, true
	default:
		return p, false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return p, true
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || d.More() {
		return p, false
	}
	return ParseGeoPoint(m)
}

// coordinate reads one coordinate: a number, absent or null (0).
func coordinate(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, true
	case float64:
		f = x
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(x), 64); err != nil {
			return 0, false
		}
	case interface{ Float64() (float64, error) }:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// IsZero reports whether p is (0, 0), the empty point.
func (p GeoPoint) IsZero() bool { return p.Lon == 0 && p.Lat == 0 }

// JSON is the stored form of p.
func (p GeoPoint) JSON() json.RawMessage {
	b := []byte(`{"lon":`)
	b = strconv.AppendFloat(b, p.Lon, 'f', -1, 64)
	b = append(b, `,"lat":`...)
	b = strconv.AppendFloat(b, p.Lat, 'f', -1, 64)
	return json.RawMessage(append(b, '}'))
}

// StoredGeoPoint is the canonical value of a geoPoint column as read: the
// point, or the zero point for null (a view's column, a row from before a
// json field became a point) and for a value that is no point.
func StoredGeoPoint(v any) json.RawMessage {
	p, ok := ParseGeoPoint(v)
	if !ok {
		return ZeroGeoPoint
	}
	return p.JSON()
}
