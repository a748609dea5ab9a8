// Command kcertbench-go is the Go crypto/x509 side of benches/compare (standard library only).
//
//	kcertbench-go w1 WORK REPS            parse bundle.pem, read subject/notAfter/SANs
//	kcertbench-go w2 WORK REPS            the same over files/*.pem, one file at a time
//	kcertbench-go resign WORK rsa|p256 REPS   re-sign resign.pem the way kubeadm renews
//
// Every measurement prints one JSON line (see benches/compare/README.md).
package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"time"
)

type checksum struct {
	Count       int   `json:"count"`
	Sans        int   `json:"sans"`
	MaxNotAfter int64 `json:"max_not_after,omitempty"`
	CnBytes     int   `json:"cn_bytes"`
}

func (c *checksum) add(cert *x509.Certificate) {
	subject := cert.Subject.String()
	_ = subject
	notAfter := cert.NotAfter.Unix()
	if c.Count == 0 || notAfter > c.MaxNotAfter {
		c.MaxNotAfter = notAfter
	}
	c.Count++
	c.Sans += len(cert.DNSNames) + len(cert.IPAddresses)
	c.CnBytes += len(cert.Subject.CommonName)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func emit(workload, variant string, n int, runs []float64, sum interface{}, extra map[string]interface{}) {
	m := median(runs)
	rate := 0.0
	if m > 0 {
		rate = float64(n) / m
	}
	line, _ := json.Marshal(map[string]interface{}{
		"tool": "go-crypto-x509", "variant": variant, "workload": workload, "n": n,
		"runs_s": runs, "certs_per_s": rate, "checksum": sum, "extra": extra,
	})
	fmt.Println(string(line))
}

func die(err error) {
	fmt.Fprintln(os.Stderr, "kcertbench-go:", err)
	os.Exit(2)
}

// parseBundle decodes every CERTIFICATE block of data and parses it.
func parseBundle(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out, nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, cert)
	}
}

func w1(work string, reps int) {
	data, err := os.ReadFile(filepath.Join(work, "bundle.pem"))
	if err != nil {
		die(err)
	}
	var runs []float64
	var sum checksum
	for r := 0; r < reps; r++ {
		start := time.Now()
		sum = checksum{}
		certs, err := parseBundle(data)
		if err != nil {
			die(err)
		}
		for _, c := range certs {
			sum.add(c)
		}
		runs = append(runs, time.Since(start).Seconds())
	}
	emit("W1", "pem.Decode+ParseCertificate", sum.Count, runs, sum, map[string]interface{}{"go": runtime.Version()})
}

func w2(work string, reps int) {
	files, err := filepath.Glob(filepath.Join(work, "files", "*.pem"))
	if err != nil {
		die(err)
	}
	sort.Strings(files)
	var runs []float64
	var sum checksum
	for r := 0; r < reps; r++ {
		start := time.Now()
		sum = checksum{}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				die(err)
			}
			block, _ := pem.Decode(data)
			if block == nil {
				die(fmt.Errorf("%s: no PEM block", f))
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				die(fmt.Errorf("%s: %v", f, err))
			}
			sum.add(cert)
		}
		runs = append(runs, time.Since(start).Seconds())
	}
	emit("W2", "pem.Decode+ParseCertificate", len(files), runs, sum, map[string]interface{}{"go": runtime.Version()})
}

func loadKey(path string) crypto.Signer {
	data, err := os.ReadFile(path)
	if err != nil {
		die(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		die(fmt.Errorf("%s: no PEM block", path))
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			die(err)
		}
		return k
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			die(err)
		}
		return k
	default:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			die(err)
		}
		return k.(crypto.Signer)
	}
}

// resign renews like kubeadm: the parsed certificate is the template (subject, key, SANs,
// usages, extensions), with a new serial and validity, signed by the same CA.
func resign(work, ca string, reps int) {
	workload := "W3"
	if ca == "p256" {
		workload = "W4"
	}
	data, err := os.ReadFile(filepath.Join(work, "resign.pem"))
	if err != nil {
		die(err)
	}
	leaves, err := parseBundle(data)
	if err != nil {
		die(err)
	}
	caData, err := os.ReadFile(filepath.Join(work, "ca-"+ca+".crt"))
	if err != nil {
		die(err)
	}
	caBlock, _ := pem.Decode(caData)
	caCert, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		die(err)
	}
	caKey := loadKey(filepath.Join(work, "ca-"+ca+".key"))
	serialLimit := new(big.Int).Lsh(big.NewInt(1), 127)
	var runs []float64
	var out [][]byte
	for r := 0; r < reps; r++ {
		out = out[:0]
		start := time.Now()
		now := time.Now()
		for _, leaf := range leaves {
			tmpl := *leaf
			serial, err := rand.Int(rand.Reader, serialLimit)
			if err != nil {
				die(err)
			}
			tmpl.SerialNumber = serial
			tmpl.NotBefore = now.Add(-time.Hour)
			tmpl.NotAfter = now.Add(365 * 24 * time.Hour)
			tmpl.AuthorityKeyId = caCert.SubjectKeyId
			// Extensions are regenerated from the parsed fields (as kubeadm's renewal does);
			// keep them out of ExtraExtensions so they are not duplicated.
			tmpl.ExtraExtensions = nil
			// The suite re-signs every leaf with one CA, whichever signed it before: let Go
			// pick the algorithm from the CA key (kubeadm's same-CA renewal gets the same).
			tmpl.SignatureAlgorithm = x509.UnknownSignatureAlgorithm
			der, err := x509.CreateCertificate(rand.Reader, &tmpl, caCert, leaf.PublicKey, caKey)
			if err != nil {
				die(err)
			}
			out = append(out, der)
		}
		runs = append(runs, time.Since(start).Seconds())
	}
	var sum checksum
	for _, der := range out {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			die(err)
		}
		if err := c.CheckSignatureFrom(caCert); err != nil {
			die(err)
		}
		if !bytes.Equal(c.RawSubject, leavesSubject(leaves, sum.Count)) {
			die(fmt.Errorf("re-signed certificate %d changed its subject", sum.Count))
		}
		sum.add(c)
	}
	sum.MaxNotAfter = 0
	emit(workload, "CreateCertificate(template=parsed)", len(leaves), runs, sum,
		map[string]interface{}{"go": runtime.Version(), "ca": ca})
}

func leavesSubject(leaves []*x509.Certificate, i int) []byte { return leaves[i].RawSubject }

func main() {
	if len(os.Args) < 4 {
		die(fmt.Errorf("usage: kcertbench-go w1|w2 WORK REPS | resign WORK rsa|p256 REPS"))
	}
	reps, _ := strconv.Atoi(os.Args[len(os.Args)-1])
	if reps < 1 {
		reps = 1
	}
	switch os.Args[1] {
	case "w1":
		w1(os.Args[2], reps)
	case "w2":
		w2(os.Args[2], reps)
	case "resign":
		resign(os.Args[2], os.Args[3], reps)
	default:
		die(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}
