package scheme

import (
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// New returns a new scheme holding the Kubernetes built-in types, CustomResourceDefinitions and
// Stevedore's APIs. Each caller gets its own; nothing registers into a global.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for name, add := range map[string]func(*runtime.Scheme) error{
		"kubernetes":    clientgoscheme.AddToScheme,
		"apiextensions": apiextensionsv1.AddToScheme,
		v1.Group:        v1.AddToScheme,
		awsv1.Group:     awsv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("registering %s types: %w", name, err)
		}
	}
	return s, nil
}
