// Package scheme builds the runtime.Scheme every Stevedore client uses: the Kubernetes built-in types,
// CustomResourceDefinitions and Stevedore's own APIs. It sits apart from the operator so that tests and tools
// can have the scheme without the controllers. It must import only API types.
package scheme
