package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stevedore-dev/stevedore/pkg/version"
)

// Exit codes returned by Execute.
const (
	// ExitOK means the command succeeded.
	ExitOK = 0
	// ExitFailure means the command ran and failed.
	ExitFailure = 1
	// ExitUsage means the command line was wrong: an unknown command or flag, or a bad flag value.
	ExitUsage = 2
)

// Execute runs the stevedore command line given args (without the program name), writing results to stdout and
// errors to stderr, and returns the process exit code. ctx reaches every command, so cancelling it (on SIGINT,
// say) stops long-running ones.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	if args == nil {
		// cobra reads os.Args when given nil.
		args = []string{}
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)

	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	if errors.As(err, new(usageError)) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return ExitUsage
	}
	return ExitFailure
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "stevedore",
		Short: "Groupless node provisioning for Kubernetes on AWS",
		Long: `Stevedore is a node provisioner for Kubernetes on AWS. Its controller watches for pods that
cannot be scheduled, packs them onto the cheapest EC2 instance types that satisfy every
constraint (resources, zones, capacity type, affinity, topology spread, taints), and launches
those instances directly, without node groups. Later it consolidates, replaces and drains nodes
without breaking a PodDisruptionBudget.

This command line tool works alongside the controller: it explains what Stevedore knows and
would do.`,
		Example: `  # Instance types with the allocatable capacity and price Stevedore assumes
  stevedore catalog --sort-by price

  # Where pending pods would go and which nodes would be launched for them
  stevedore plan -f manifests/

  # Show the version of this binary
  stevedore version

  # Print the version as JSON, for scripts
  stevedore version --output json`,
		Version:       version.Version,
		Args:          unknownCommand,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true, // Execute prints each error once, with a hint when it is a usage error.
		// Suggest commands within two edits, as cobra does for its own unknown-command error.
		SuggestionsMinimumDistance: 2,
	}
	root.SetVersionTemplate("stevedore " + version.String() + "\n")
	// Subcommands inherit this, so every bad flag or flag value is reported as a usage error.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	root.AddCommand(
		newAWSSimCommand(),
		newCatalogCommand(),
		newIAMPolicyCommand(),
		newPlanCommand(),
		newSandboxCommand(),
		newVersionCommand(),
	)
	return root
}

// usageError is a mistake in the command line rather than a failure of the command itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// unknownCommand rejects positional arguments on the root command, which only dispatches, suggesting the closest
// subcommand. The root carries its own Args (cobra's built-in check cannot be marked as a usage error), so it must
// also be runnable: cobra shows help instead of checking the arguments of a command that is not.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
		quoted := make([]string, len(suggestions))
		for i, s := range suggestions {
			quoted[i] = strconv.Quote(s)
		}
		msg += "; did you mean " + strings.Join(quoted, " or ") + "?"
	}
	return usageError{errors.New(msg)}
}

// noArgs rejects positional arguments on a command that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%q takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}
