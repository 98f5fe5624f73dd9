//go:build deploy

package deploy

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cnpgCluster is the part of CloudNativePG's Cluster (postgresql.cnpg.io/v1)
// that postgres-cluster.yaml uses, with the field names and types of the
// operator's api/v1 package. The module proxy does not serve that package,
// so this is no substitute for its schema: it catches a misspelt or
// misplaced field among those listed here, and a field outside this list
// fails the test until it is added here, checked against the operator's
// API reference.
type cnpgCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              cnpgClusterSpec `json:"spec"`
}

type cnpgClusterSpec struct {
	Instances             int                          `json:"instances"`
	ImageName             string                       `json:"imageName,omitempty"`
	PrimaryUpdateStrategy string                       `json:"primaryUpdateStrategy,omitempty"` // unsupervised | supervised
	PrimaryUpdateMethod   string                       `json:"primaryUpdateMethod,omitempty"`   // switchover | restart
	EnableSuperuserAccess *bool                        `json:"enableSuperuserAccess,omitempty"`
	PostgreSQL            *cnpgPostgresConfiguration   `json:"postgresql,omitempty"`
	Bootstrap             *cnpgBootstrapConfiguration  `json:"bootstrap,omitempty"`
	Storage               *cnpgStorageConfiguration    `json:"storage,omitempty"`
	Affinity              *cnpgAffinityConfiguration   `json:"affinity,omitempty"`
	Resources             *corev1.ResourceRequirements `json:"resources,omitempty"`
}

type cnpgPostgresConfiguration struct {
	Parameters map[string]string `json:"parameters,omitempty"`
}

type cnpgBootstrapConfiguration struct {
	InitDB *cnpgBootstrapInitDB `json:"initdb,omitempty"`
}

type cnpgBootstrapInitDB struct {
	Database string                    `json:"database,omitempty"`
	Owner    string                    `json:"owner,omitempty"`
	Secret   *cnpgLocalObjectReference `json:"secret,omitempty"`
}

type cnpgLocalObjectReference struct {
	Name string `json:"name"`
}

type cnpgStorageConfiguration struct {
	StorageClass *string `json:"storageClass,omitempty"`
	Size         string  `json:"size,omitempty"`
}

type cnpgAffinityConfiguration struct {
	EnablePodAntiAffinity *bool  `json:"enablePodAntiAffinity,omitempty"`
	TopologyKey           string `json:"topologyKey,omitempty"`
	PodAntiAffinityType   string `json:"podAntiAffinityType,omitempty"`
}
