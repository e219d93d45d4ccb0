package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() { os.Exit(dispatch(os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)) }

// muninPluginPrefix starts the names under which the binary is the munin
// plugin, by munin's convention for plugins named after their target
// (if_eth0, otelcounters_myapp).
const muninPluginPrefix = "otelcounters_"

// dispatch runs the munin plugin when munin runs the binary as a plugin
// (munin runs a plugin through a symlink named after it, with the plugin's
// command, config or fetch, as the only argument), and the tool otherwise:
// under any name, so that a binary built as oc is the tool too.
func dispatch(argv []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(argv) > 0 && isPluginName(argv[0], getenv) {
		return runMunin(argv[1:], stdin, stdout, stderr)
	}
	return run(argv[1:], stdin, stdout, stderr)
}

// isPluginName reports whether the binary called as argv0 is the munin
// plugin: named otelcounters_<anything>, or run by munin (munin-run and
// munin-node set MUNIN_PLUGSTATE for every plugin) under a name other than
// otelcounters itself, which a wrapper script calls as "otelcounters munin".
func isPluginName(argv0 string, getenv func(string) string) bool {
	name := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	if name == "otelcounters" {
		return false
	}
	return strings.HasPrefix(name, muninPluginPrefix) || getenv("MUNIN_PLUGSTATE") != ""
}

// command is one subcommand. Its run function gets the arguments after the
// command's name and returns the exit status: 0 done (or -h, which prints
// the command's usage on stderr), 1 failed, 2 bad usage or input.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands lists the subcommands, in the order usage shows them. Adding a
// command is one line here.
func commands() []command {
	return []command{
		{"demo", demoSummary, runDemo},
		{"replay", "run an event trace through the real pipeline and print its reports", runReplay},
		{"munin", muninSummary, runMunin},
		{"merge", mergeSummary, runMerge},
		{"serve", serveSummary, runServe},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				return c.run([]string{"-h"}, stdin, stdout, stderr)
			}
			fmt.Fprintf(stderr, "otelcounters: unknown command %q\n\n", args[1])
			usage(stderr)
			return 2
		}
		usage(stderr)
		return 0 // asked for: Go's convention, as the flag package's
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "otelcounters: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

// parseStatus is the exit status of a command whose flags did not parse:
// 0 when they asked for help (the usage is printed), 2 for misuse.
func parseStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: otelcounters <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "otelcounters help <command> shows a command's flags.")
}
