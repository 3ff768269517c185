// Package hamsasim embeds the files shipped with the project (the contract
// and the fixtures) so that an installed binary works with no checkout.
package hamsasim

import (
	"embed"
	"io/fs"
)

//go:embed spec/hamsa-webhooks.yaml
var contractYAML []byte

//go:embed fixtures/calls/*.yaml
var fixtureFS embed.FS

//go:embed features/*.feature
var featureFS embed.FS

//go:embed scenarios/*.yaml
var scenarioFS embed.FS

// ContractPath is the contract's path in the repository, used to name it.
const ContractPath = "spec/hamsa-webhooks.yaml"

// Contract returns the shipped webhook contract.
func Contract() []byte { return contractYAML }

// Fixtures returns the shipped fixtures; paths are fixtures/calls/NAME.yaml.
func Fixtures() fs.FS { return fixtureFS }

// Features returns the shipped Gherkin features; paths are features/NAME.feature.
func Features() fs.FS { return featureFS }

// Scenarios returns the shipped load scenarios; paths are scenarios/NAME.yaml.
func Scenarios() fs.FS { return scenarioFS }
