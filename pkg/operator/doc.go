// Package operator assembles the controller process: its Options (flags with environment fallbacks), the runtime
// scheme, the controller-runtime manager with leader election, metrics and health probes, and the one place
// controllers are wired together (controllers.go). Run is the whole process short of signal handling, so
// cmd/controller stays a few lines.
//
// Nothing here holds global state, except that Run points controller-runtime's and klog's package-level loggers at
// the process logger, as those libraries require. Library packages must not import this one; it imports them.
package operator
