// Command ferretdb runs FerretDB v1 embedded, with its SQLite backend (the
// default) or its PostgreSQL backend.
//
// The upstream `go install .../cmd/ferretdb` binary panics because it expects a
// build/version/version.txt produced by its own build tooling; embedding the
// library through the public ferretdb package avoids that.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	dir := flag.String("dir", "./ferretdb-data", "directory for the SQLite databases (sqlite handler)")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL connection string, e.g. postgres://user@127.0.0.1:5433/ferretdb (postgresql handler)")
	flag.Parse()

	cfg := ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Handler:  *handler,
	}
	var where string
	switch *handler {
	case "sqlite":
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			log.Fatalf("create data dir: %v", err)
		}
		cfg.SQLiteURL = "file:" + *dir + "/"
		where = "sqlite data in " + *dir
	case "postgresql":
		if *pgURL == "" {
			log.Fatalf("-postgresql-url is required with -handler postgresql")
		}
		cfg.PostgreSQLURL = *pgURL
		where = "postgresql at " + *pgURL
	default:
		log.Fatalf("unknown -handler %q (expected sqlite or postgresql)", *handler)
	}

	f, err := ferretdb.New(&cfg)
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log.Printf("ferretdb listening on %s, %s", *listen, where)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatalf("ferretdb: %v", err)
	}
}
