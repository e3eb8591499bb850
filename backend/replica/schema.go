package replica

import (
	"embed"
	"io/fs"

	"gatehouse/backend/cache"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the numbered migrations of this package's own tables in the desktop database,
// for cache.Open (cache.WithSchema).
func Schema() fs.FS { return cache.MigrationsIn(migrationFiles) }
