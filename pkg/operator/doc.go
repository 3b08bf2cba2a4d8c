// Package operator assembles what every Stevedore process shares: the runtime scheme, and (as controllers
// arrive) the one place they are wired together. Nothing here holds global state.
package operator
