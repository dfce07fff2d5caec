package flowapp

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/gorilla/mux"
)

// The page, its assets, Prove's SDK bundle, /config and /healthz.

func (a *App) registerPage(r *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	r.Handle("/", a.page("index.html")).Methods(get...)
	r.Handle("/landing", a.page("landing.html")).Methods(get...)
	r.Handle("/api.js", a.page("api.js")).Methods(get...)
	r.Handle("/app.js", a.page("app.js")).Methods(get...)
	r.Handle("/app.css", a.page("app.css")).Methods(get...)
	r.Handle("/signin", a.page("signin.html")).Methods(get...)
	r.Handle("/signin.js", a.page("signin.js")).Methods(get...)
	r.HandleFunc("/sdk/prove-auth.js", a.sdk).Methods(get...)
	r.Handle("/config", a.api(a.config)).Methods(get...)
	r.Handle("/healthz", a.api(a.healthz)).Methods(get...)
}

// page serves one file of the page from Options.WebFS (web.FS).
func (a *App) page(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeFileFS(w, r, a.web, name)
	})
}

// SDKFile is where the SDK bundle is read from.
func (a *App) SDKFile() string { return filepath.Join(a.opts.WebDir, filepath.FromSlash(sdkPath)) }

// sdk serves Prove's web SDK bundle from node_modules, byte for byte.
func (a *App) sdk(w http.ResponseWriter, r *http.Request) {
	path := a.SDKFile()
	f, err := os.Open(path)
	var st os.FileInfo
	if err == nil {
		defer f.Close()
		st, err = f.Stat()
	}
	if err != nil || st.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			a.log.Warn("Prove's web SDK is not installed", "path", path)
		} else {
			a.log.Error("Prove's web SDK cannot be read", "path", path, "err", err)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "Prove's web SDK is not installed (%s is missing): run make run / npm install in flowapp/web\n", path)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "prove-auth.js", st.ModTime(), f)
}

type configResponse struct {
	OTPTimeoutSeconds         int    `json:"otpTimeoutSeconds"`
	InstantLinkTimeoutSeconds int    `json:"instantLinkTimeoutSeconds"`
	PhoneURL                  string `json:"phoneUrl,omitempty"`
}

// config is GET /config: what the page needs to know.
func (a *App) config(*http.Request) (*reply, error) {
	return ok(configResponse{
		OTPTimeoutSeconds:         int(OTPTimeout.Seconds()),
		InstantLinkTimeoutSeconds: int(InstantLinkTimeout.Seconds()),
		PhoneURL:                  a.phoneURL,
	}), nil
}

// healthz is GET /healthz.
func (a *App) healthz(*http.Request) (*reply, error) {
	return ok(map[string]string{"status": "ok"}), nil
}
