//! UI: main menu, pause, settings, HUD counter (TextMeshPro), health bar, screen fade.

pub(super) const MAIN_MENU: &str = r#"using UnityEngine;
using UnityEngine.SceneManagement;
using UnityEngine.UI;

/// <summary>Main menu: Play loads the first level, Options shows its panel, Quit leaves the game.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private string firstLevel = "Level1";
    [SerializeField] private Button playButton;
    [SerializeField] private Button optionsButton;
    [SerializeField] private Button quitButton;
    [SerializeField] private GameObject mainPanel;
    [SerializeField] private GameObject optionsPanel;

    private void Awake()
    {
        // Wiring in code keeps the buttons working when the scene is rebuilt.
        if (playButton != null) playButton.onClick.AddListener(Play);
        if (optionsButton != null) optionsButton.onClick.AddListener(() => ShowOptions(true));
        if (quitButton != null) quitButton.onClick.AddListener(Quit);
        ShowOptions(false);
    }

    /// <summary>Loads the first level.</summary>
    public void Play()
    {
        Time.timeScale = 1f;
        SceneManager.LoadScene(firstLevel);
    }

    /// <summary>Shows the options panel instead of the main one, or back.</summary>
    public void ShowOptions(bool show)
    {
        if (optionsPanel != null) optionsPanel.SetActive(show);
        if (mainPanel != null) mainPanel.SetActive(!show);
    }

    /// <summary>Quits the application (stops play mode in the editor).</summary>
    public void Quit()
    {
#if UNITY_EDITOR
        UnityEditor.EditorApplication.isPlaying = false;
#else
        Application.Quit();
#endif
    }
}
"#;

pub(super) const PAUSE: &str = r#"using UnityEngine;
using UnityEngine.SceneManagement;

/// <summary>Pause menu: the key toggles it, freezing game time while it shows.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private GameObject pausePanel;
    [SerializeField] private KeyCode pauseKey = KeyCode.{{K:KEY:Escape}};
    [SerializeField] private string menuScene = "MainMenu";

    /// <summary>Whether the game is paused.</summary>
    public bool IsPaused { get; private set; }

    private void Start()
    {
        SetPaused(false);
    }

    private void Update()
    {
        if (Input.GetKeyDown(pauseKey))
        {
            SetPaused(!IsPaused);
        }
    }

    /// <summary>Pauses or resumes.</summary>
    public void SetPaused(bool paused)
    {
        IsPaused = paused;
        // UI animations keep running on unscaled time; gameplay stops.
        Time.timeScale = paused ? 0f : 1f;
        if (pausePanel != null)
        {
            pausePanel.SetActive(paused);
        }
    }

    /// <summary>Resume button.</summary>
    public void Resume()
    {
        SetPaused(false);
    }

    /// <summary>Back to the menu scene, unpaused.</summary>
    public void QuitToMenu()
    {
        Time.timeScale = 1f;
        SceneManager.LoadScene(menuScene);
    }

    private void OnDestroy()
    {
        // Never leave the next scene frozen.
        Time.timeScale = 1f;
    }
}
"#;

pub(super) const SETTINGS: &str = r#"using UnityEngine;
using UnityEngine.UI;

/// <summary>Settings menu: master volume, fullscreen and quality, saved in PlayerPrefs and applied at start.</summary>
public class {{NAME}} : MonoBehaviour
{
    private const string VolumeKey = "settings.volume";
    private const string FullscreenKey = "settings.fullscreen";
    private const string QualityKey = "settings.quality";

    [SerializeField] private Slider volumeSlider;
    [SerializeField] private Toggle fullscreenToggle;
    [SerializeField] private Dropdown qualityDropdown;

    private void Start()
    {
        float volume = PlayerPrefs.GetFloat(VolumeKey, 1f);
        bool fullscreen = PlayerPrefs.GetInt(FullscreenKey, Screen.fullScreen ? 1 : 0) == 1;
        int quality = PlayerPrefs.GetInt(QualityKey, QualitySettings.GetQualityLevel());
        SetVolume(volume);
        SetFullscreen(fullscreen);
        SetQuality(quality);
        // Set the widgets without their listeners, then listen.
        if (volumeSlider != null)
        {
            volumeSlider.SetValueWithoutNotify(volume);
            volumeSlider.onValueChanged.AddListener(SetVolume);
        }
        if (fullscreenToggle != null)
        {
            fullscreenToggle.SetIsOnWithoutNotify(fullscreen);
            fullscreenToggle.onValueChanged.AddListener(SetFullscreen);
        }
        if (qualityDropdown != null)
        {
            qualityDropdown.SetValueWithoutNotify(quality);
            qualityDropdown.onValueChanged.AddListener(SetQuality);
        }
    }

    /// <summary>Sets the master volume (0 to 1).</summary>
    public void SetVolume(float volume)
    {
        AudioListener.volume = Mathf.Clamp01(volume);
        PlayerPrefs.SetFloat(VolumeKey, AudioListener.volume);
    }

    /// <summary>Switches fullscreen.</summary>
    public void SetFullscreen(bool fullscreen)
    {
        Screen.fullScreen = fullscreen;
        PlayerPrefs.SetInt(FullscreenKey, fullscreen ? 1 : 0);
    }

    /// <summary>Sets the quality level (index in the project's quality settings).</summary>
    public void SetQuality(int level)
    {
        QualitySettings.SetQualityLevel(level);
        PlayerPrefs.SetInt(QualityKey, level);
    }
}
"#;

pub(super) const HUD_COUNTER: &str = r#"using UnityEngine;
using TMPro;

/// <summary>HUD counter (score, coins, kills) shown in a TextMeshPro label; other scripts call Add.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private TMP_Text label;
    [SerializeField] private string format = "Score: {0}";
    [SerializeField] private int startValue = 0;

    /// <summary>The counter of the scene, for pickups and enemies to report to.</summary>
    public static {{NAME}} Instance { get; private set; }

    /// <summary>Current value.</summary>
    public int Value { get; private set; }

    private void Awake()
    {
        Instance = this;
        Value = startValue;
        Refresh();
    }

    private void OnDestroy()
    {
        if (Instance == this)
        {
            Instance = null;
        }
    }

    /// <summary>Adds to the counter (negative amounts subtract).</summary>
    public void Add(int amount)
    {
        Value += amount;
        Refresh();
    }

    private void Refresh()
    {
        // The label changes only on Add, never every frame: TextMeshPro rebuilds its mesh on each change.
        if (label != null)
        {
            label.text = string.Format(format, Value);
        }
    }
}
"#;

pub(super) const HEALTH_BAR: &str = r#"using UnityEngine;
using UnityEngine.UI;

/// <summary>Health bar: a UI Image's fill follows a {{R:health}} component, smoothly.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private {{R:health}} health;
    [Tooltip("An Image of type Filled.")]
    [SerializeField] private Image fill;
    [SerializeField] private float smoothSpeed = 5f;
    [SerializeField] private Gradient colors = new Gradient();

    private float shown = 1f;

    private void Update()
    {
        if (health == null || fill == null)
        {
            return;
        }
        shown = Mathf.MoveTowards(shown, health.Fraction, smoothSpeed * Time.deltaTime);
        fill.fillAmount = shown;
        fill.color = colors.Evaluate(shown);
    }
}
"#;

pub(super) const FADE: &str = r#"using System.Collections;
using UnityEngine;
using UnityEngine.SceneManagement;

/// <summary>Screen fader: a full-screen CanvasGroup fades in and out, optionally around a scene load.</summary>
[RequireComponent(typeof(CanvasGroup))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField, Min(0.01f)] private float duration = {{P:DURATION:0.5f}};
    [SerializeField] private bool fadeInOnStart = true;

    private CanvasGroup group;

    private void Awake()
    {
        group = GetComponent<CanvasGroup>();
    }

    private void Start()
    {
        if (fadeInOnStart)
        {
            group.alpha = 1f;
            StartCoroutine(Fade(0f));
        }
    }

    /// <summary>Fades to black, loads the scene, fades back in.</summary>
    public void FadeToScene(string sceneName)
    {
        StartCoroutine(FadeAndLoad(sceneName));
    }

    private IEnumerator FadeAndLoad(string sceneName)
    {
        yield return Fade(1f);
        SceneManager.LoadScene(sceneName);
    }

    /// <summary>Animates the alpha to a value; unscaled, so it works while paused.</summary>
    public IEnumerator Fade(float targetAlpha)
    {
        group.blocksRaycasts = true;
        float start = group.alpha;
        for (float t = 0f; t < duration; t += Time.unscaledDeltaTime)
        {
            group.alpha = Mathf.Lerp(start, targetAlpha, t / duration);
            yield return null;
        }
        group.alpha = targetAlpha;
        group.blocksRaycasts = targetAlpha > 0f;
    }
}
"#;
