package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
)

// Plugin is one plugin's entry in the settings, keyed by its ID. A plugin
// compiled into the binary runs unless Enabled is false; Config is its
// own configuration, a JSON object it decodes. Both take effect at the
// next start.
type Plugin struct {
	Enabled *bool  `json:"enabled,omitempty"`
	Config  []byte `json:"config,omitempty"`
}

// Off reports whether the entry disables its plugin.
func (p Plugin) Off() bool { return p.Enabled != nil && !*p.Enabled }

// MarshalJSON writes Config as the JSON it holds.
func (p Plugin) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if p.Enabled != nil {
		fmt.Fprintf(&b, `"enabled":%t`, *p.Enabled)
	}
	if len(p.Config) > 0 {
		if p.Enabled != nil {
			b.WriteByte(',')
		}
		b.WriteString(`"config":`)
		b.Write(p.Config)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON keeps Config as the JSON it was given.
func (p *Plugin) UnmarshalJSON(raw []byte) error {
	var in struct {
		Enabled *bool           `json:"enabled"`
		Config  json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	p.Enabled, p.Config = in.Enabled, nil
	if len(in.Config) > 0 && string(in.Config) != "null" {
		p.Config = append([]byte(nil), in.Config...)
	}
	return nil
}

var pluginIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,63}$`)

// CheckPluginID reports whether id is a well-formed plugin ID: 1 to 64
// lower-case letters, digits, '-' and '.', starting with a letter or
// digit.
func CheckPluginID(id string) error {
	if !pluginIDRe.MatchString(id) {
		return fmt.Errorf("plugin ID %q must be 1 to 64 of a-z, 0-9, '-' and '.', starting with a letter or digit", id)
	}
	return nil
}

// validatePlugins checks the keys and configurations of the plugin
// entries.
func validatePlugins(plugins map[string]Plugin, fail func(key, code, msg string)) {
	for id, p := range plugins {
		if CheckPluginID(id) != nil {
			fail("plugins."+id, "validation_invalid_plugin_id", "Must be 1 to 64 of a-z, 0-9, '-' and '.'.")
			continue
		}
		if len(p.Config) > 0 && bytes.TrimSpace(p.Config)[0] != '{' {
			fail("plugins."+id+".config", "validation_invalid_config", "Must be a JSON object.")
		}
	}
}
