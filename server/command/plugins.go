package command

// The first-party plugins bundled with the lumbung command; the settings
// enable and configure them by ID ("plugins": {"<id>": {...}}).
import (
	_ "github.com/lumbunghq/lumbung/plugins/jsvm"     // JavaScript hooks: DataDir/hooks/*.pb.js
	_ "github.com/lumbunghq/lumbung/plugins/webhooks" // webhooks: /api/webhooks, delivered from the change log
)
