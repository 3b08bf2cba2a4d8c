package catalog

import (
	"context"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
)

// FactsSource serves the catalog's instance types to an instancetype.Provider, for offline use.
func FactsSource() instancetype.FactsSource { return factsSource{} }

type factsSource struct{}

// InstanceTypes returns the catalogued types.
func (factsSource) InstanceTypes(context.Context) ([]instancetype.Facts, error) {
	return InstanceTypes(), nil
}
