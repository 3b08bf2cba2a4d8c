// Package fake is an in-memory CloudProvider for tests of Stevedore's own controllers: it launches nothing,
// records what it was asked to do, and can be told to fail.
package fake
