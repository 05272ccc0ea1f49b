package examples

import _ "embed"

// Quickstart is examples/quickstart.toml.
//
//go:embed quickstart.toml
var Quickstart string
