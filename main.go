// Command gatehouse is the Gatehouse desktop application: the Wails window around the
// frontend in frontend/dist and the bound services of package app. Only wiring lives here.
package main

import (
	"embed"
	"fmt"
	"log/slog"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"gatehouse/app"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

//go:embed all:frontend/dist
var assets embed.FS

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// Wails itself turns SIGINT and SIGTERM (logout, kill) into a normal quit, so
	// OnShutdown runs and the database is closed.
	a := app.New(app.Config{Version: version, Logger: log}, app.NewWailsRuntime())

	err := wails.Run(&options.App{
		Title:            "Gatehouse",
		Width:            1280,
		Height:           820,
		MinWidth:         900,
		MinHeight:        600,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 250, G: 250, B: 252, A: 255},
		OnStartup:        a.Startup,
		OnShutdown:       a.Shutdown,
		Bind:             app.Bound(a),
		ErrorFormatter:   app.ErrorFormatter(log),
		DragAndDrop:      &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		Linux:            &linux.Options{ProgramName: "gatehouse"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Gatehouse could not start its window:", err)
		os.Exit(1)
	}
}
