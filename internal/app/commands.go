package app

import (
	"context"
	"errors"
	"io"
)

// The account commands and the standalone sandbox come with the auth and simulator packages.

func apikeyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("apikey: not available yet")
}

func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("user: not available yet")
}

func sandboxCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runSandbox(ctx, args, getenv, stdout, stderr)
}
