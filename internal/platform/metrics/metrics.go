// Package metrics keeps kessai's Prometheus metrics and writes them in the text exposition
// format with the standard library.
package metrics

// Registry holds the request metrics of one instance.
type Registry struct{}
