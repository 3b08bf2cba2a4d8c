package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// outputFormat is the value of an --output flag. Setting it rejects formats the command does not offer, so a
// bad value fails while flags are parsed and the error names the flag.
type outputFormat struct {
	value   string
	allowed []string
}

// Output formats commands offer.
const (
	outputText  = "text"
	outputTable = "table"
	outputJSON  = "json"
	outputCSV   = "csv"
)

func (f *outputFormat) String() string { return f.value }

// Type names the value in help text.
func (f *outputFormat) Type() string { return "format" }

// Set accepts one of the allowed formats.
func (f *outputFormat) Set(s string) error {
	if !slices.Contains(f.allowed, s) {
		return fmt.Errorf("must be one of %s", strings.Join(f.allowed, ", "))
	}
	f.value = s
	return nil
}

// addOutputFlag gives cmd an --output (-o) flag stored in f, offering formats and defaulting to the first, with
// shell completion of its values.
func addOutputFlag(cmd *cobra.Command, f *outputFormat, formats ...string) {
	*f = outputFormat{value: formats[0], allowed: formats}
	cmd.Flags().VarP(f, "output", "o", "output format: "+strings.Join(formats, ", "))
	// Registration fails only for a flag that does not exist, and the flag was added on the line above.
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
