// Package cli is the stevedore command-line tool: the command tree, its flags and how results are printed. Each
// subcommand lives in its own file with a newXCommand constructor, and root.go adds it to the tree.
//
// Commands are thin: they parse and print, and leave the work to the packages that own it. This package must not
// be imported by the controller or any library package.
package cli
