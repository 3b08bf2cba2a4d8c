package operator

import (
	"bytes"
	"testing"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		level                       string
		wantError, wantInfo, wantV1 bool
	}{
		{level: LogLevelDebug, wantError: true, wantInfo: true, wantV1: true},
		{level: LogLevelInfo, wantError: true, wantInfo: true},
		{level: LogLevelWarn, wantError: true},
		{level: LogLevelError, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var out bytes.Buffer
			log := newLogger(tt.level, &out)
			for _, c := range []struct {
				msg   string
				write func(string)
				want  bool
			}{
				{"error-entry", func(m string) { log.Error(nil, m) }, tt.wantError},
				{"info-entry", func(m string) { log.Info(m) }, tt.wantInfo},
				{"debug-entry", func(m string) { log.V(1).Info(m) }, tt.wantV1},
			} {
				c.write(c.msg)
				if got := bytes.Contains(out.Bytes(), []byte(c.msg)); got != c.want {
					t.Errorf("level %s: %s written = %v, want %v; output:\n%s", tt.level, c.msg, got, c.want, out.String())
				}
			}
		})
	}
}
