// Command lumbung runs the Lumbung server and its admin commands; see
// package command, or run `lumbung help`.
package main

import "github.com/lumbunghq/lumbung/server/command"

func main() { command.Main() }
