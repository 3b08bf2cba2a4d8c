package controlplane

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// pollInterval is short because start-up time is what a developer waits on.
const pollInterval = 100 * time.Millisecond

// waitReady polls the API server's /readyz, which passes only once etcd answers and the post-start hooks
// (RBAC bootstrap roles, priority classes, the kubernetes service) have run.
func (c *ControlPlane) waitReady(ctx context.Context) error {
	httpClient, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		return fmt.Errorf("building the readiness client: %w", err)
	}
	return c.waitOK(ctx, "kube-apiserver", c.URL+"/readyz", httpClient)
}

// waitHealthy polls a component's /healthz. The component serves it with a certificate it signed itself at
// start, so there is nothing to verify it against; the address is loopback and the answer carries no secret.
func (c *ControlPlane) waitHealthy(ctx context.Context, name, url string) error {
	httpClient := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe of a self-signed server
	}}
	defer httpClient.CloseIdleConnections()
	return c.waitOK(ctx, name, url, httpClient)
}

// waitOK polls url until it answers 200.
func (c *ControlPlane) waitOK(ctx context.Context, name, url string, httpClient *http.Client) error {
	var last error
	err := c.poll(ctx, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			last = err
			return false, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, body)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		if last != nil {
			// The last probe's answer says more than "context deadline exceeded".
			err = fmt.Errorf("%w; last probe: %w", err, last)
		}
		return fmt.Errorf("waiting for %s to be healthy: %w", name, err)
	}
	c.opts.Log.V(1).Info("component healthy", "component", name, "after", c.opts.Clock.Since(c.began))
	return nil
}

// waitControllers waits for the default service account, which the controller manager creates: until it
// exists no pod can be created in the default namespace, so a caller that raced it would see odd errors.
func (c *ControlPlane) waitControllers(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return fmt.Errorf("building a client: %w", err)
	}
	err = c.poll(ctx, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("waiting for kube-controller-manager to create the default service account: %w", err)
	}
	return nil
}

// poll calls check until it reports done, fails, ctx ends or a component dies, whose exit is then the error.
func (c *ControlPlane) poll(ctx context.Context, check func(context.Context) (bool, error)) error {
	for {
		done, err := check(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-c.failed:
			return c.failErr
		case <-ctx.Done():
			return ctx.Err()
		case <-c.opts.Clock.After(pollInterval):
		}
	}
}
