package sdkhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// Doer sends HTTP requests; *http.Client and the SDK's BuildableClient are Doers.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Client buffers each request's body, then sends it with Next.
type Client struct {
	Next Doer
}

// Do sends req with a body the transport owns.
func (c Client) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.Next.Do(req)
	}
	data, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	req.ContentLength = int64(len(data))
	return c.Next.Do(req)
}
