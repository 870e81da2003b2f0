//! Game flow: the game manager, level exits, quests and the audio manager.

pub(super) const GAME_MANAGER: &str = r#"using UnityEngine;
using UnityEngine.Events;
using UnityEngine.SceneManagement;

/// <summary>Game manager: one per scene, keeps score and lives, ends and restarts the game.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField, Min(1)] private int startingLives = {{P:HEALTH:3}};
    [SerializeField] private UnityEvent<int> onScoreChanged = new UnityEvent<int>();
    [SerializeField] private UnityEvent onGameOver = new UnityEvent();

    /// <summary>The scene's manager.</summary>
    public static {{NAME}} Instance { get; private set; }

    /// <summary>Current score.</summary>
    public int Score { get; private set; }

    /// <summary>Lives left.</summary>
    public int Lives { get; private set; }

    /// <summary>Whether the game has ended.</summary>
    public bool IsGameOver { get; private set; }

    private void Awake()
    {
        if (Instance != null && Instance != this)
        {
            Destroy(gameObject);
            return;
        }
        Instance = this;
        Lives = startingLives;
    }

    private void OnDestroy()
    {
        if (Instance == this)
        {
            Instance = null;
        }
    }

    /// <summary>Adds points (ignored after game over).</summary>
    public void AddScore(int points)
    {
        if (IsGameOver)
        {
            return;
        }
        Score += points;
        onScoreChanged.Invoke(Score);
    }

    /// <summary>Takes a life; the last one ends the game.</summary>
    public void LoseLife()
    {
        if (IsGameOver)
        {
            return;
        }
        Lives--;
        if (Lives <= 0)
        {
            IsGameOver = true;
            Time.timeScale = 0f;
            onGameOver.Invoke();
        }
    }

    /// <summary>Reloads the current scene.</summary>
    public void Restart()
    {
        Time.timeScale = 1f;
        SceneManager.LoadScene(SceneManager.GetActiveScene().buildIndex);
    }
}
"#;

pub(super) const LEVEL_EXIT: &str = r#"using UnityEngine;
using UnityEngine.SceneManagement;

/// <summary>Level exit: loads the next scene (or a named one) when the player reaches it.</summary>
[RequireComponent(typeof(Collider))]
public class {{NAME}} : MonoBehaviour
{
    [Tooltip("Scene to load; empty loads the next scene in the build settings.")]
    [SerializeField] private string sceneName = "";
    [SerializeField] private string playerTag = "{{T:TAG:Player}}";

    private bool loading;

    private void Reset()
    {
        GetComponent<Collider>().isTrigger = true;
    }

    private void OnTriggerEnter(Collider other)
    {
        if (loading || !other.CompareTag(playerTag))
        {
            return;
        }
        loading = true;
        if (!string.IsNullOrEmpty(sceneName))
        {
            SceneManager.LoadScene(sceneName);
            return;
        }
        int next = SceneManager.GetActiveScene().buildIndex + 1;
        SceneManager.LoadScene(next < SceneManager.sceneCountInBuildSettings ? next : 0);
    }
}
"#;

pub(super) const AUDIO_MANAGER: &str = r#"using UnityEngine;

/// <summary>Audio manager: background music that survives scene loads, one-shot effects, saved volumes.</summary>
public class {{NAME}} : MonoBehaviour
{
    private const string MusicVolumeKey = "musicVolume";
    private const string EffectsVolumeKey = "effectsVolume";

    [SerializeField] private AudioSource musicSource;
    [SerializeField] private AudioSource effectsSource;
    [SerializeField] private AudioClip startMusic;

    /// <summary>The one manager that persists across scenes.</summary>
    public static {{NAME}} Instance { get; private set; }

    private void Awake()
    {
        if (Instance != null && Instance != this)
        {
            Destroy(gameObject);
            return;
        }
        Instance = this;
        DontDestroyOnLoad(gameObject);
        SetMusicVolume(PlayerPrefs.GetFloat(MusicVolumeKey, 0.8f));
        SetEffectsVolume(PlayerPrefs.GetFloat(EffectsVolumeKey, 1f));
        if (startMusic != null)
        {
            PlayMusic(startMusic);
        }
    }

    /// <summary>Loops a music clip, unless it is already playing.</summary>
    public void PlayMusic(AudioClip clip)
    {
        if (musicSource == null || clip == null || (musicSource.clip == clip && musicSource.isPlaying))
        {
            return;
        }
        musicSource.clip = clip;
        musicSource.loop = true;
        musicSource.Play();
    }

    /// <summary>Plays a sound effect once.</summary>
    public void PlayEffect(AudioClip clip)
    {
        if (effectsSource != null && clip != null)
        {
            effectsSource.PlayOneShot(clip);
        }
    }

    /// <summary>Sets and remembers the music volume (0 to 1).</summary>
    public void SetMusicVolume(float volume)
    {
        volume = Mathf.Clamp01(volume);
        if (musicSource != null)
        {
            musicSource.volume = volume;
        }
        PlayerPrefs.SetFloat(MusicVolumeKey, volume);
    }

    /// <summary>Sets and remembers the effects volume (0 to 1).</summary>
    public void SetEffectsVolume(float volume)
    {
        volume = Mathf.Clamp01(volume);
        if (effectsSource != null)
        {
            effectsSource.volume = volume;
        }
        PlayerPrefs.SetFloat(EffectsVolumeKey, volume);
    }
}
"#;

pub(super) const QUEST: &str = r#"using System;
using System.Collections.Generic;
using UnityEngine;
using UnityEngine.Events;

/// <summary>Quest log: quests with counted objectives ("collect 5 gems"), progress reports and completion.</summary>
public class {{NAME}} : MonoBehaviour
{
    /// <summary>A quest: an id, a title, and how many times its objective must be reported.</summary>
    [Serializable]
    public class Quest
    {
        public string id;
        public string title;
        [Min(1)] public int required = {{P:COUNT:1}};
        [NonSerialized] public int progress;
        [NonSerialized] public bool active;

        public bool IsComplete => progress >= required;
    }

    [SerializeField] private List<Quest> quests = new List<Quest>();
    [SerializeField] private UnityEvent<string> onQuestStarted = new UnityEvent<string>();
    [SerializeField] private UnityEvent<string> onQuestCompleted = new UnityEvent<string>();

    /// <summary>Activates a quest by id; returns false when unknown or already done.</summary>
    public bool StartQuest(string id)
    {
        Quest quest = Find(id);
        if (quest == null || quest.active || quest.IsComplete)
        {
            return false;
        }
        quest.active = true;
        onQuestStarted.Invoke(id);
        return true;
    }

    /// <summary>Reports progress on an active quest's objective.</summary>
    public void Report(string id, int amount = 1)
    {
        Quest quest = Find(id);
        if (quest == null || !quest.active || quest.IsComplete || amount <= 0)
        {
            return;
        }
        quest.progress = Math.Min(quest.required, quest.progress + amount);
        if (quest.IsComplete)
        {
            quest.active = false;
            onQuestCompleted.Invoke(id);
        }
    }

    /// <summary>Whether a quest is done.</summary>
    public bool IsComplete(string id)
    {
        Quest quest = Find(id);
        return quest != null && quest.IsComplete;
    }

    private Quest Find(string id)
    {
        return quests.Find(q => q.id == id);
    }
}
"#;
