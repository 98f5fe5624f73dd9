package plugins

import (
	"encoding/json"
	"errors"
	"time"
)

// Duration is a time.Duration in a plugin's JSON configuration, written
// as Go writes it ("30s", "500ms").
type Duration time.Duration

// UnmarshalJSON reads "30s" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if json.Unmarshal(b, &n) != nil {
			return errors.New(`a duration is a string such as "30s"`)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as Go writes it.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
