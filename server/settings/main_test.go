package settings_test

import (
	"testing"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, postgres.MigrateURL) }
