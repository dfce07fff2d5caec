package mockprove

// Tester is the part of testing.TB (and of Ginkgo's GinkgoT()) that RunT needs.
type Tester interface {
	Fatalf(format string, args ...any)
	Cleanup(func())
	Logf(format string, args ...any)
}

// Run creates and starts a server with default options on a free loopback port.
func Run() (*Server, error) {
	return RunOptions(Options{})
}

// RunOptions creates and starts a server with opts.
func RunOptions(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// RunT starts a server for a test on a free loopback port and closes it when
// the test ends; it fails the test if the server cannot start. Optional
// Options replace the defaults.
//
//	s := mockprove.RunT(t)
//	resp, _ := http.PostForm(s.URL()+"/token", ...)
func RunT(t Tester, opts ...Options) *Server {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := RunOptions(o)
	if err != nil {
		t.Fatalf("mockprove: %v", err)
		return nil
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
