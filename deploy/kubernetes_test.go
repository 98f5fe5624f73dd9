//go:build deploy

package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// manifests are the objects of deploy/kubernetes, each decoded strictly
// into its Kubernetes API type: an unknown or misspelt field, a value of
// the wrong type or a duplicate key is an error.
type manifests struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	configMap  *corev1.ConfigMap
	secret     *corev1.Secret
	hpa        *autoscalingv2.HorizontalPodAutoscaler
	pdb        *policyv1.PodDisruptionBudget
	ingress    *networkingv1.Ingress
	cluster    *cnpgCluster
}

// decodeStrict decodes one YAML document into out, refusing unknown
// fields (sigs.k8s.io/yaml converts to JSON and decodes with
// DisallowUnknownFields, as kubectl's strict field validation does).
func decodeStrict(data []byte, out any) error {
	return yaml.UnmarshalStrict(data, out)
}

func mustReadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes (%v)", err)
	}
	var m manifests
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("\n---")) {
			t.Fatalf("%s: one object per file", file)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(data, &tm); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			m.deployment = new(appsv1.Deployment)
			obj = m.deployment
		case "v1 Service":
			m.service = new(corev1.Service)
			obj = m.service
		case "v1 ConfigMap":
			m.configMap = new(corev1.ConfigMap)
			obj = m.configMap
		case "v1 Secret":
			m.secret = new(corev1.Secret)
			obj = m.secret
		case "autoscaling/v2 HorizontalPodAutoscaler":
			m.hpa = new(autoscalingv2.HorizontalPodAutoscaler)
			obj = m.hpa
		case "policy/v1 PodDisruptionBudget":
			m.pdb = new(policyv1.PodDisruptionBudget)
			obj = m.pdb
		case "networking.k8s.io/v1 Ingress":
			m.ingress = new(networkingv1.Ingress)
			obj = m.ingress
		case "postgresql.cnpg.io/v1 Cluster":
			m.cluster = new(cnpgCluster)
			obj = m.cluster
		default:
			t.Fatalf("%s: unexpected kind %q of %q", file, tm.Kind, tm.APIVersion)
		}
		if err := decodeStrict(data, obj); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		meta := obj.(metav1.Object) // each type embeds ObjectMeta
		if errs := validation.IsDNS1123Subdomain(meta.GetName()); len(errs) > 0 {
			t.Errorf("%s: name %q: %s", file, meta.GetName(), strings.Join(errs, "; "))
		}
		if ns := meta.GetNamespace(); ns != "" {
			t.Errorf("%s: names namespace %q; apply with kubectl -n instead", file, ns)
		}
		for k, v := range meta.GetLabels() {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				t.Errorf("%s: label key %q: %s", file, k, strings.Join(errs, "; "))
			}
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				t.Errorf("%s: label value %q: %s", file, v, strings.Join(errs, "; "))
			}
		}
	}
	for name, missing := range map[string]bool{
		"Deployment": m.deployment == nil, "Service": m.service == nil, "ConfigMap": m.configMap == nil,
		"Secret": m.secret == nil, "HorizontalPodAutoscaler": m.hpa == nil, "PodDisruptionBudget": m.pdb == nil,
		"Ingress": m.ingress == nil, "CloudNativePG Cluster": m.cluster == nil,
	} {
		if missing {
			t.Errorf("deploy/kubernetes has no %s", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

// TestStrictDecodingRejectsTypos proves the validator is strict: the
// Deployment with one field misspelt, or a value of the wrong type, is
// refused.
func TestStrictDecodingRejectsTypos(t *testing.T) {
	data, err := os.ReadFile("kubernetes/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to string }{
		{"terminationGracePeriodSeconds: 45", "terminationGracePeriod: 45"},
		{"readinessProbe:", "readinesProbe:"},
		{"replicas: 3", "replicas: three"},
		{"containerPort: 8090", "containerPort: 8090\n              containerPort: 8091"},
	} {
		bad := bytes.Replace(data, []byte(c.from), []byte(c.to), 1)
		if bytes.Equal(bad, data) {
			t.Fatalf("%q is not in deployment.yaml", c.from)
		}
		if err := decodeStrict(bad, new(appsv1.Deployment)); err == nil {
			t.Errorf("%q accepted", c.to)
		}
	}
}

// TestKubernetesManifests decodes every manifest into its API type and
// checks that they fit together: selectors select the pods, probes and
// ports name what the container serves, the grace period covers the drain,
// and DATABASE_URL comes from the Secret.
func TestKubernetesManifests(t *testing.T) {
	m := mustReadManifests(t)
	d := m.deployment
	pod := d.Spec.Template
	podLabels := labels.Set(pod.Labels)

	selects := func(what string, sel *metav1.LabelSelector) {
		t.Helper()
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			t.Errorf("%s selector: %v", what, err)
			return
		}
		if s.Empty() || !s.Matches(podLabels) {
			t.Errorf("%s selector %q does not select the pods %v", what, s, podLabels)
		}
	}
	selects("Deployment", d.Spec.Selector)
	selects("PodDisruptionBudget", m.pdb.Spec.Selector)
	selects("Service", &metav1.LabelSelector{MatchLabels: m.service.Spec.Selector})

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8090 {
		t.Errorf("container ports %+v, want http on 8090", c.Ports)
	}

	// Readiness on /api/health (503 while the database is away).
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/api/health" || p.HTTPGet.Port.String() != "http" {
		t.Errorf("readiness probe %+v, want GET /api/health on http", p)
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "http" {
		t.Errorf("liveness probe %+v, want an HTTP GET on http", p)
	}

	// Termination: preStop sleep, then the 30 s drain, within the grace period.
	const drain = 30
	var sleep int64
	if h := c.Lifecycle; h != nil && h.PreStop != nil {
		switch {
		case h.PreStop.Sleep != nil:
			sleep = h.PreStop.Sleep.Seconds
		case h.PreStop.Exec != nil && len(h.PreStop.Exec.Command) == 2 && strings.HasSuffix(h.PreStop.Exec.Command[0], "sleep"):
			fmt.Sscan(h.PreStop.Exec.Command[1], &sleep)
		}
	}
	if sleep < 5 {
		t.Errorf("preStop sleeps %d s: endpoints need a few seconds to drop the pod before SIGTERM", sleep)
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || *g <= sleep+drain {
		t.Errorf("terminationGracePeriodSeconds %v must exceed the preStop sleep (%d s) plus the %d s drain", g, sleep, drain)
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("rolling update %+v: want maxUnavailable 0", ru)
	}

	// Security: non-root, read-only root file system, writable /tmp and /data.
	if sc := pod.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and a non-zero runAsUser", sc)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("container securityContext %+v: want a read-only root, no privilege escalation, all capabilities dropped", sc)
	}
	mounts := map[string]bool{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.MountPath] = !vm.ReadOnly
	}
	if !mounts["/tmp"] || !mounts["/data"] {
		t.Errorf("volume mounts %+v: want writable /tmp and /data", c.VolumeMounts)
	}

	// Configuration: DATABASE_URL from the Secret, the rest from the ConfigMap.
	var url *corev1.SecretKeySelector
	for _, e := range c.Env {
		if e.Name == "DATABASE_URL" && e.ValueFrom != nil {
			url = e.ValueFrom.SecretKeyRef
		}
	}
	if url == nil || url.Name != m.secret.Name {
		t.Errorf("DATABASE_URL must come from the Secret %q", m.secret.Name)
	} else if _, ok := m.secret.StringData[url.Key]; !ok {
		t.Errorf("the Secret %q has no key %q", m.secret.Name, url.Key)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != m.configMap.Name {
		t.Errorf("envFrom %+v: want the ConfigMap %q", c.EnvFrom, m.configMap.Name)
	}
	if got := m.configMap.Data["LUMBUNG_HTTP"]; got != "0.0.0.0:8090" {
		t.Errorf("LUMBUNG_HTTP %q, want 0.0.0.0:8090", got)
	}
	for k := range m.configMap.Data {
		if !strings.HasPrefix(k, "LUMBUNG_") {
			t.Errorf("ConfigMap key %q is not a Lumbung setting", k)
		}
	}

	// Service, Ingress, HPA and PDB point at what exists.
	if m.service.Spec.SessionAffinity != corev1.ServiceAffinityNone {
		t.Errorf("Service sessionAffinity %q: nodes are stateless, want None", m.service.Spec.SessionAffinity)
	}
	if len(m.service.Spec.Ports) != 1 || m.service.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("Service ports %+v: want one targeting http", m.service.Spec.Ports)
	}
	for _, r := range m.ingress.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			if b := p.Backend.Service; b == nil || b.Name != m.service.Name || b.Port.Name != m.service.Spec.Ports[0].Name {
				t.Errorf("Ingress backend %+v: want the Service %q port %q", b, m.service.Name, m.service.Spec.Ports[0].Name)
			}
		}
	}
	ref := m.hpa.Spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
		t.Errorf("HPA scales %+v, want the Deployment %q", ref, d.Name)
	}
	if m.hpa.Spec.MinReplicas == nil || *m.hpa.Spec.MinReplicas < 2 || m.hpa.Spec.MaxReplicas < *m.hpa.Spec.MinReplicas {
		t.Errorf("HPA replicas %v..%d: want at least 2", m.hpa.Spec.MinReplicas, m.hpa.Spec.MaxReplicas)
	}
	if m.pdb.Spec.MaxUnavailable == nil && m.pdb.Spec.MinAvailable == nil {
		t.Error("the PodDisruptionBudget sets neither maxUnavailable nor minAvailable")
	}

	// The database: three instances, a database owned by a non-superuser
	// role, and the application Secret that secret.yaml tells to copy.
	cl := m.cluster.Spec
	if cl.Instances < 3 {
		t.Errorf("CloudNativePG cluster with %d instances: want a primary and two replicas", cl.Instances)
	}
	if cl.Bootstrap == nil || cl.Bootstrap.InitDB == nil || cl.Bootstrap.InitDB.Owner == "" || cl.Bootstrap.InitDB.Database == "" {
		t.Error("the CloudNativePG cluster must bootstrap a database and its owner")
	}
	if cl.EnableSuperuserAccess == nil || *cl.EnableSuperuserAccess {
		t.Error("the CloudNativePG cluster should not expose its superuser")
	}
	secretDoc, _ := os.ReadFile("kubernetes/secret.yaml")
	if app := m.cluster.Name + "-app"; !bytes.Contains(secretDoc, []byte(app)) {
		t.Errorf("secret.yaml does not name the cluster's application Secret %q", app)
	}
	if rw := m.cluster.Name + "-rw"; url != nil && !strings.Contains(m.secret.StringData[url.Key], rw) {
		t.Errorf("the example DATABASE_URL does not point at the cluster's read-write Service %q", rw)
	}
}
