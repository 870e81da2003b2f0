//! World: spawners, waves, pooling, checkpoints, timers, moving platforms.

pub(super) const SPAWNER: &str = r#"using System.Collections;
using UnityEngine;

/// <summary>Spawns a prefab at spawn points on an interval, keeping at most a number alive.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private GameObject prefab;
    [SerializeField] private Transform[] spawnPoints;
    [SerializeField, Min(0.01f)] private float interval = {{P:INTERVAL:2f}};
    [SerializeField, Min(1)] private int maxAlive = {{P:COUNT:10}};

    private readonly System.Collections.Generic.List<GameObject> alive = new System.Collections.Generic.List<GameObject>();

    private void OnEnable()
    {
        StartCoroutine(SpawnLoop());
    }

    private IEnumerator SpawnLoop()
    {
        // One cached wait: a new WaitForSeconds per loop is garbage every spawn.
        var wait = new WaitForSeconds(interval);
        while (enabled)
        {
            alive.RemoveAll(o => o == null);
            if (prefab != null && alive.Count < maxAlive)
            {
                Transform point = spawnPoints != null && spawnPoints.Length > 0 ? spawnPoints[Random.Range(0, spawnPoints.Length)] : transform;
                alive.Add(Instantiate(prefab, point.position, point.rotation));
            }
            yield return wait;
        }
    }
}
"#;

pub(super) const WAVES: &str = r#"using System.Collections;
using UnityEngine;
using UnityEngine.Events;

/// <summary>Wave spawner: each wave spawns more enemies; the next starts when all are defeated.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private GameObject enemyPrefab;
    [SerializeField] private Transform[] spawnPoints;
    [SerializeField, Min(1)] private int waveCount = {{P:WAVES:5}};
    [SerializeField, Min(1)] private int enemiesInFirstWave = {{P:COUNT:3}};
    [SerializeField, Min(0)] private int extraEnemiesPerWave = 2;
    [SerializeField, Min(0f)] private float spawnDelay = 0.5f;
    [SerializeField, Min(0f)] private float timeBetweenWaves = {{P:INTERVAL:5f}};
    [SerializeField] private UnityEvent<int> onWaveStarted = new UnityEvent<int>();
    [SerializeField] private UnityEvent onAllWavesCleared = new UnityEvent();

    private readonly System.Collections.Generic.List<GameObject> alive = new System.Collections.Generic.List<GameObject>();

    /// <summary>1-based number of the current wave (0 before the first).</summary>
    public int CurrentWave { get; private set; }

    private void Start()
    {
        StartCoroutine(RunWaves());
    }

    private IEnumerator RunWaves()
    {
        var betweenSpawns = new WaitForSeconds(spawnDelay);
        var betweenWaves = new WaitForSeconds(timeBetweenWaves);
        for (int wave = 1; wave <= waveCount; wave++)
        {
            CurrentWave = wave;
            onWaveStarted.Invoke(wave);
            int count = enemiesInFirstWave + extraEnemiesPerWave * (wave - 1);
            for (int i = 0; i < count && enemyPrefab != null; i++)
            {
                Transform point = spawnPoints != null && spawnPoints.Length > 0 ? spawnPoints[i % spawnPoints.Length] : transform;
                alive.Add(Instantiate(enemyPrefab, point.position, point.rotation));
                yield return betweenSpawns;
            }
            // Destroyed enemies compare equal to null in Unity.
            while (alive.Exists(e => e != null))
            {
                yield return null;
            }
            alive.Clear();
            yield return betweenWaves;
        }
        onAllWavesCleared.Invoke();
    }
}
"#;

pub(super) const POOL: &str = r#"using System.Collections.Generic;
using UnityEngine;

/// <summary>Object pool: reuses instances of a prefab (bullets, effects, enemies) instead of Instantiate/Destroy.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private GameObject prefab;
    [SerializeField, Min(0)] private int initialSize = {{P:COUNT:20}};
    [Tooltip("Create more when empty; otherwise Get returns null.")]
    [SerializeField] private bool canGrow = true;

    private readonly Queue<GameObject> available = new Queue<GameObject>();

    private void Awake()
    {
        for (int i = 0; i < initialSize; i++)
        {
            available.Enqueue(CreateInstance());
        }
    }

    /// <summary>An inactive instance made active at the given pose, or null when the pool is empty and cannot grow.</summary>
    public GameObject Get(Vector3 position, Quaternion rotation)
    {
        GameObject item = available.Count > 0 ? available.Dequeue() : (canGrow ? CreateInstance() : null);
        if (item == null)
        {
            return null;
        }
        item.transform.SetPositionAndRotation(position, rotation);
        item.SetActive(true);
        return item;
    }

    /// <summary>Returns an instance to the pool (call this instead of Destroy).</summary>
    public void Release(GameObject item)
    {
        if (item == null)
        {
            return;
        }
        item.SetActive(false);
        available.Enqueue(item);
    }

    private GameObject CreateInstance()
    {
        GameObject item = Instantiate(prefab, transform);
        item.SetActive(false);
        return item;
    }
}
"#;

pub(super) const CHECKPOINT: &str = r#"using UnityEngine;

/// <summary>Checkpoint: touching it makes it the respawn point; Respawn moves the player back to the last one.</summary>
[RequireComponent(typeof(Collider))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private string playerTag = "{{T:TAG:Player}}";
    [SerializeField] private Transform respawnPoint;
    [SerializeField] private GameObject activeIndicator;

    /// <summary>The checkpoint touched last, shared by all checkpoints of the scene.</summary>
    public static {{NAME}} Current { get; private set; }

    private void Reset()
    {
        GetComponent<Collider>().isTrigger = true;
    }

    private void OnTriggerEnter(Collider other)
    {
        if (!other.CompareTag(playerTag) || Current == this)
        {
            return;
        }
        if (Current != null && Current.activeIndicator != null)
        {
            Current.activeIndicator.SetActive(false);
        }
        Current = this;
        if (activeIndicator != null)
        {
            activeIndicator.SetActive(true);
        }
    }

    /// <summary>Moves the player to the current checkpoint; returns false when none was reached.</summary>
    public static bool Respawn(Transform player)
    {
        if (Current == null || player == null)
        {
            return false;
        }
        Transform point = Current.respawnPoint != null ? Current.respawnPoint : Current.transform;
        // A CharacterController overrides position changes while enabled.
        player.TryGetComponent(out CharacterController controller);
        if (controller != null)
        {
            controller.enabled = false;
        }
        player.SetPositionAndRotation(point.position, point.rotation);
        if (controller != null)
        {
            controller.enabled = true;
        }
        return true;
    }
}
"#;

pub(super) const TIMER: &str = r#"using UnityEngine;
using UnityEngine.Events;

/// <summary>Countdown timer: counts down in seconds, reports each whole second and when it reaches zero.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField, Min(0f)] private float duration = {{P:DURATION:60f}};
    [SerializeField] private bool startOnAwake = true;
    [Tooltip("Keeps counting while the game is paused (Time.timeScale = 0).")]
    [SerializeField] private bool ignoreTimeScale = false;
    [SerializeField] private UnityEvent<int> onSecondTick = new UnityEvent<int>();
    [SerializeField] private UnityEvent onFinished = new UnityEvent();

    private float remaining;
    private bool running;

    /// <summary>Seconds left.</summary>
    public float Remaining => remaining;

    /// <summary>Remaining time as mm:ss, for labels.</summary>
    public string Formatted => string.Format("{0:00}:{1:00}", Mathf.FloorToInt(remaining / 60f), Mathf.FloorToInt(remaining % 60f));

    private void Awake()
    {
        remaining = duration;
        running = startOnAwake;
    }

    private void Update()
    {
        if (!running)
        {
            return;
        }
        int before = Mathf.CeilToInt(remaining);
        remaining = Mathf.Max(0f, remaining - (ignoreTimeScale ? Time.unscaledDeltaTime : Time.deltaTime));
        int after = Mathf.CeilToInt(remaining);
        if (after != before)
        {
            onSecondTick.Invoke(after);
        }
        if (remaining <= 0f)
        {
            running = false;
            onFinished.Invoke();
        }
    }

    /// <summary>Restarts from the full duration.</summary>
    public void Restart()
    {
        remaining = duration;
        running = true;
    }

    /// <summary>Pauses or resumes the countdown.</summary>
    public void SetRunning(bool value)
    {
        running = value && remaining > 0f;
    }
}
"#;

pub(super) const MOVING_PLATFORM: &str = r#"using UnityEngine;

/// <summary>Moving platform: travels between waypoints, waits at each, and carries what stands on it.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private Transform[] waypoints;
    [SerializeField, Min(0.01f)] private float speed = {{P:SPEED:2f}};
    [SerializeField, Min(0f)] private float waitTime = {{P:DURATION:1f}};
    [SerializeField] private string riderTag = "{{T:TAG:Player}}";

    private int index;
    private float waitUntil;

    private void FixedUpdate()
    {
        if (waypoints == null || waypoints.Length == 0 || Time.time < waitUntil)
        {
            return;
        }
        Transform target = waypoints[index];
        if (target == null)
        {
            return;
        }
        transform.position = Vector3.MoveTowards(transform.position, target.position, speed * Time.fixedDeltaTime);
        if ((transform.position - target.position).sqrMagnitude < 0.0001f)
        {
            index = (index + 1) % waypoints.Length;
            waitUntil = Time.time + waitTime;
        }
    }

    // Parenting the rider makes it move with the platform without sliding off.
    private void OnCollisionEnter(Collision collision)
    {
        if (collision.collider.CompareTag(riderTag))
        {
            collision.transform.SetParent(transform);
        }
    }

    private void OnCollisionExit(Collision collision)
    {
        if (collision.collider.CompareTag(riderTag))
        {
            collision.transform.SetParent(null);
        }
    }
}
"#;
