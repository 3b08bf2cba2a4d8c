package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// outputFormat is the value of an --output flag. Setting it rejects unknown formats, so a bad value fails while
// flags are parsed and the error names the flag.
type outputFormat string

const (
	outputText outputFormat = "text"
	outputJSON outputFormat = "json"
)

var outputFormats = []string{string(outputText), string(outputJSON)}

func (f *outputFormat) String() string { return string(*f) }

// Type names the value in help text.
func (f *outputFormat) Type() string { return "format" }

// Set accepts one of outputFormats.
func (f *outputFormat) Set(s string) error {
	for _, name := range outputFormats {
		if s == name {
			*f = outputFormat(s)
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(outputFormats, ", "))
}

// addOutputFlag gives cmd an --output (-o) flag stored in f, defaulting to text, with shell completion of its values.
func addOutputFlag(cmd *cobra.Command, f *outputFormat) {
	*f = outputText
	cmd.Flags().VarP(f, "output", "o", "output format: "+strings.Join(outputFormats, " or "))
	// Registration fails only for a flag that does not exist, and the flag was added on the line above.
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
