package cli

import (
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stevedore-dev/stevedore/pkg/version"
)

// versionInfo is what `stevedore version` reports; the JSON field names are part of the CLI's interface.
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func newVersionCommand() *cobra.Command {
	var output outputFormat
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Long:  "Print the version, source commit and build date of this binary, and the Go version and platform it was built for.",
		Example: `  stevedore version
  stevedore version -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := versionInfo{
				Version:   version.Version,
				Commit:    version.Commit,
				BuildDate: version.BuildDate,
				GoVersion: runtime.Version(),
				Platform:  runtime.GOOS + "/" + runtime.GOARCH,
			}
			if output.value == outputJSON {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 1, ' ', 0)
			fmt.Fprintf(w, "Version:\t%s\n", info.Version)
			fmt.Fprintf(w, "Commit:\t%s\n", info.Commit)
			fmt.Fprintf(w, "Build date:\t%s\n", info.BuildDate)
			fmt.Fprintf(w, "Go version:\t%s\n", info.GoVersion)
			fmt.Fprintf(w, "Platform:\t%s\n", info.Platform)
			return w.Flush()
		},
	}
	addOutputFlag(cmd, &output, outputText, outputJSON)
	return cmd
}
