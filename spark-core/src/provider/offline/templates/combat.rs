//! Combat: health and damage, hazards, projectiles, shooting, explosions.

pub(super) const HEALTH: &str = r#"using UnityEngine;
using UnityEngine.Events;

/// <summary>Health that takes damage, heals and reports death once.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField, Min(1f)] private float maxHealth = {{P:HEALTH:100f}};
    [Tooltip("Seconds of invulnerability after a hit (0 = none).")]
    [SerializeField, Min(0f)] private float invulnerableTime = 0f;
    [SerializeField] private bool destroyOnDeath = false;
    [SerializeField] private UnityEvent<float> onHealthChanged = new UnityEvent<float>();
    [SerializeField] private UnityEvent onDeath = new UnityEvent();

    private float currentHealth;
    private float lastHitTime = float.NegativeInfinity;

    /// <summary>Current health, between 0 and the maximum.</summary>
    public float CurrentHealth => currentHealth;

    /// <summary>Maximum health.</summary>
    public float MaxHealth => maxHealth;

    /// <summary>Health as a fraction of the maximum, for bars.</summary>
    public float Fraction => currentHealth / maxHealth;

    /// <summary>Whether health has reached zero.</summary>
    public bool IsDead => currentHealth <= 0f;

    /// <summary>Raised with the new health after any change.</summary>
    public UnityEvent<float> HealthChanged => onHealthChanged;

    private void Awake()
    {
        currentHealth = maxHealth;
    }

    /// <summary>Removes health; invokes onDeath once when it reaches zero.</summary>
    public void TakeDamage(float amount)
    {
        if (amount <= 0f || IsDead || Time.time - lastHitTime < invulnerableTime)
        {
            return;
        }
        lastHitTime = Time.time;
        currentHealth = Mathf.Max(0f, currentHealth - amount);
        onHealthChanged.Invoke(currentHealth);
        if (IsDead)
        {
            onDeath.Invoke();
            if (destroyOnDeath)
            {
                Destroy(gameObject);
            }
        }
    }

    /// <summary>Restores health up to the maximum; the dead stay dead.</summary>
    public void Heal(float amount)
    {
        if (amount <= 0f || IsDead)
        {
            return;
        }
        currentHealth = Mathf.Min(maxHealth, currentHealth + amount);
        onHealthChanged.Invoke(currentHealth);
    }
}
"#;

pub(super) const DAMAGE_ZONE: &str = r#"using UnityEngine;

/// <summary>Hazard (spikes, lava, traps) that damages what stands in its trigger, at a steady rate.</summary>
[RequireComponent(typeof(Collider))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float damage = {{P:DAMAGE:10f}};
    [Tooltip("Seconds between two hits on the same target.")]
    [SerializeField, Min(0.05f)] private float tickInterval = {{P:INTERVAL:1f}};
    [SerializeField] private string targetTag = "{{T:TAG:Player}}";

    private float nextTick;

    private void Reset()
    {
        GetComponent<Collider>().isTrigger = true;
    }

    private void OnTriggerStay(Collider other)
    {
        if (Time.time < nextTick || !other.CompareTag(targetTag))
        {
            return;
        }
        {{R:health}} health = other.GetComponentInParent<{{R:health}}>();
        if (health != null)
        {
            health.TakeDamage(damage);
            nextTick = Time.time + tickInterval;
        }
    }
}
"#;

pub(super) const PROJECTILE: &str = r#"using UnityEngine;

/// <summary>Projectile: flies forward, damages what it hits (or everything in a blast radius), then disappears.</summary>
[RequireComponent(typeof(Rigidbody))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float speed = {{P:SPEED:20f}};
    [SerializeField] private float damage = {{P:DAMAGE:25f}};
    [Tooltip("0 damages only what is hit; above 0 damages everything within this radius.")]
    [SerializeField, Min(0f)] private float explosionRadius = {{P:RADIUS:0f}};
    [SerializeField] private float explosionForce = 500f;
    [SerializeField] private GameObject impactEffect;
    [SerializeField] private float lifetime = 5f;

    private void Start()
    {
        GetComponent<Rigidbody>().velocity = transform.forward * speed;
        // Missed shots must not live forever.
        Destroy(gameObject, lifetime);
    }

    private void OnCollisionEnter(Collision collision)
    {
        Vector3 point = collision.contacts.Length > 0 ? collision.contacts[0].point : transform.position;
        if (explosionRadius > 0f)
        {
            foreach (Collider hit in Physics.OverlapSphere(point, explosionRadius))
            {
                Damage(hit);
                if (hit.attachedRigidbody != null)
                {
                    hit.attachedRigidbody.AddExplosionForce(explosionForce, point, explosionRadius);
                }
            }
        }
        else
        {
            Damage(collision.collider);
        }
        if (impactEffect != null)
        {
            Instantiate(impactEffect, point, Quaternion.identity);
        }
        Destroy(gameObject);
    }

    private void Damage(Collider target)
    {
        {{R:health}} health = target.GetComponentInParent<{{R:health}}>();
        if (health != null)
        {
            health.TakeDamage(damage);
        }
    }
}
"#;

pub(super) const SHOOTER: &str = r#"using UnityEngine;

/// <summary>Weapon that fires projectiles from a muzzle while the fire button is held, at a fixed rate.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private {{R:projectile}} projectilePrefab;
    [SerializeField] private Transform muzzle;
    [Tooltip("Shots per second.")]
    [SerializeField, Min(0.1f)] private float fireRate = 5f;
    [SerializeField] private bool automatic = true;
    [SerializeField] private AudioSource shotSound;

    private float nextShotTime;

    private void Update()
    {
        bool wantsToFire = automatic ? Input.GetButton("Fire1") : Input.GetButtonDown("Fire1");
        if (wantsToFire && Time.time >= nextShotTime)
        {
            Fire();
        }
    }

    /// <summary>Fires one projectile now (also callable from AI or UI).</summary>
    public void Fire()
    {
        if (projectilePrefab == null)
        {
            return;
        }
        Transform origin = muzzle != null ? muzzle : transform;
        Instantiate(projectilePrefab, origin.position, origin.rotation);
        nextShotTime = Time.time + 1f / fireRate;
        if (shotSound != null)
        {
            shotSound.Play();
        }
    }
}
"#;

pub(super) const EXPLOSION: &str = r#"using UnityEngine;

/// <summary>Explosion: pushes rigidbodies away, shows an effect and removes the object (barrels, mines, bombs).</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float radius = {{P:RANGE:5f}};
    [SerializeField] private float force = 700f;
    [SerializeField] private float upwardsModifier = 1f;
    [SerializeField] private GameObject effectPrefab;
    [Tooltip("Seconds before exploding on its own (0 = only when Explode() is called).")]
    [SerializeField, Min(0f)] private float fuse = {{P:DURATION:0f}};

    private bool exploded;

    private void Start()
    {
        if (fuse > 0f)
        {
            Invoke(nameof(Explode), fuse);
        }
    }

    /// <summary>Explodes once.</summary>
    public void Explode()
    {
        if (exploded)
        {
            return;
        }
        exploded = true;
        foreach (Collider hit in Physics.OverlapSphere(transform.position, radius))
        {
            if (hit.attachedRigidbody != null)
            {
                hit.attachedRigidbody.AddExplosionForce(force, transform.position, radius, upwardsModifier);
            }
        }
        if (effectPrefab != null)
        {
            Instantiate(effectPrefab, transform.position, Quaternion.identity);
        }
        Destroy(gameObject);
    }

    private void OnDrawGizmosSelected()
    {
        Gizmos.DrawWireSphere(transform.position, radius);
    }
}
"#;
